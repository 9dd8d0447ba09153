// Citations in a generated answer: `[1]`, `[1, 3]`, `[1][2]`, `[document2]`
// (the forms LFM2-1.2B-RAG and small models write, see
// shared/reference/LFM2.md §15) mapped to the passages the prompt supplied.
//
// Pure functions over text; the CLI (ask, chat) calls them after generation.
// Guarantees: every marker the answer contains is reported, in order of first
// appearance, once per number; a number that names no supplied passage is
// kept and flagged (`supplied == false`), never silently dropped. Bracketed
// text that is not a list of numbers ("[sic]", "[a]", "[]", "[1-3]") is not a
// citation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "answer/retrieved_passage.h"

namespace lateral::answer {

// One bracketed marker as it appears in the answer: `[1, 3]` is one marker
// with numbers {1, 3}.
struct CitationMarker {
  size_t byte_begin = 0;  // of '[' in the answer
  size_t byte_end = 0;    // one past ']'
  std::vector<int> numbers;
};

// Markers in `answer`, left to right.
std::vector<CitationMarker> FindCitationMarkers(std::string_view answer);

// A cited number and the passage it names.
struct Citation {
  int number = 0;
  bool supplied = false;             // a passage with this number was in the prompt
  const RetrievedPassage* passage = nullptr;  // into `passages` when supplied
};

// Distinct numbers cited by `answer`, in order of first appearance, mapped to
// `passages` by RetrievedPassage::number.
std::vector<Citation> MapCitations(std::string_view answer, absl::Span<const RetrievedPassage> passages);

// "path:12-18" ("path:12" for one line, "path" when the span is unknown).
std::string PassageLocation(const RetrievedPassage& passage);

// The lines printed after an answer: "[1] path:line_begin-line_end" per
// supplied citation, "[7] (not one of the supplied documents)" per other.
std::string FormatCitations(absl::Span<const Citation> citations);

}  // namespace lateral::answer

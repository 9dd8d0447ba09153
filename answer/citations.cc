#include "answer/citations.h"

#include <cctype>
#include <limits>

#include "absl/strings/str_cat.h"

namespace lateral::answer {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Parses the inside of one bracket pair: items separated by commas, each an
// optional "document" / "doc" prefix and a positive number. nullopt-like:
// returns false when the text is not such a list.
bool ParseNumberList(std::string_view body, std::vector<int>* numbers) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < body.size() && IsSpace(body[i])) ++i;
  };
  while (true) {
    skip_space();
    for (std::string_view prefix : {std::string_view("document"), std::string_view("doc")}) {
      if (body.substr(i, prefix.size()) == prefix) {
        i += prefix.size();
        skip_space();
        break;
      }
    }
    if (i >= body.size() || !std::isdigit(static_cast<unsigned char>(body[i]))) return false;
    int64_t value = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      value = value * 10 + (body[i] - '0');
      if (value > std::numeric_limits<int>::max()) return false;
      ++i;
    }
    if (value == 0) return false;
    numbers->push_back(static_cast<int>(value));
    skip_space();
    if (i == body.size()) return true;
    if (body[i] != ',') return false;
    ++i;
  }
}

}  // namespace

std::vector<CitationMarker> FindCitationMarkers(std::string_view answer) {
  std::vector<CitationMarker> markers;
  size_t pos = 0;
  while ((pos = answer.find('[', pos)) != std::string_view::npos) {
    const size_t close = answer.find_first_of("[]", pos + 1);
    if (close == std::string_view::npos) break;
    if (answer[close] == '[') {  // "[[2]": the inner bracket may still be a marker
      pos = close;
      continue;
    }
    CitationMarker marker;
    if (ParseNumberList(answer.substr(pos + 1, close - pos - 1), &marker.numbers)) {
      marker.byte_begin = pos;
      marker.byte_end = close + 1;
      markers.push_back(std::move(marker));
    }
    pos = close + 1;
  }
  return markers;
}

std::vector<Citation> MapCitations(std::string_view answer, absl::Span<const RetrievedPassage> passages) {
  std::vector<Citation> citations;
  for (const CitationMarker& marker : FindCitationMarkers(answer)) {
    for (int number : marker.numbers) {
      bool seen = false;
      for (const Citation& c : citations) seen = seen || c.number == number;
      if (seen) continue;
      Citation citation;
      citation.number = number;
      for (const RetrievedPassage& p : passages) {
        if (p.number == number) {
          citation.supplied = true;
          citation.passage = &p;
          break;
        }
      }
      citations.push_back(citation);
    }
  }
  return citations;
}

std::string PassageLocation(const RetrievedPassage& passage) {
  std::string out = passage.path.empty() ? passage.doc_id : passage.path;
  if (passage.line_begin > 0) {
    absl::StrAppend(&out, ":", passage.line_begin);
    if (passage.line_end > passage.line_begin) absl::StrAppend(&out, "-", passage.line_end);
  }
  return out;
}

std::string FormatCitations(absl::Span<const Citation> citations) {
  std::string out;
  for (const Citation& c : citations) {
    if (c.supplied) {
      absl::StrAppend(&out, "[", c.number, "] ", PassageLocation(*c.passage), "\n");
    } else {
      absl::StrAppend(&out, "[", c.number, "] (not one of the supplied documents)\n");
    }
  }
  return out;
}

}  // namespace lateral::answer

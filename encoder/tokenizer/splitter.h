// Finding the matches of a Split pre-tokenizer's pattern (internal to
// encoder/tokenizer/).
//
// A Splitter reports the leftmost, non-overlapping matches of one pattern in
// a text, left to right, as tokenizers' Pattern::find_matches does before it
// applies the split behaviour. Three implementations exist:
//   - IcuRegexSplitter (regex_splitter.h): any regex, through ICU's
//     backtracking engine; the general and reference path.
//   - Llama3Splitter (llama3_splitter.h): hand-written for the LLaMA-3 / LFM2
//     split regex, chosen when the pattern string is exactly that one.
//   - LiteralSplitter (below): a Split whose pattern is {"String": ...}.
// FindMatches is const and thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace lateral::tok {

struct MatchRange {
  size_t begin;  // byte offsets into the searched text
  size_t end;
};

class Splitter {
 public:
  virtual ~Splitter() = default;
  // Appends the matches in `text` (valid UTF-8). Fails only when the regex
  // engine gives up (ICU's backtracking stack limit).
  virtual absl::Status FindMatches(std::string_view text,
                                   std::vector<MatchRange>* matches) const = 0;
};

// Matches of a literal string (non-empty), as a regex of the escaped string would.
std::unique_ptr<Splitter> NewLiteralSplitter(std::string literal);

}  // namespace lateral::tok

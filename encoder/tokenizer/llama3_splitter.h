// A hand-written matcher for the LLaMA-3 split regex (internal to
// encoder/tokenizer/).
//
// LFM2, LLaMA-3 and Qwen2 split text with
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (Qwen2 writes \p{N} instead of \p{N}{1,3}). Running that through ICU's
// backtracking engine costs far more than the rest of tokenization, so this
// matcher decides each alternative directly from character classes:
// \p{L} and \p{N} are the Unicode general categories L* and N*, \s is the
// White_Space property (what Oniguruma, used by tokenizers, and ICU both mean
// by these). The order of the alternatives and what backtracking would settle
// on are spelled out in llama3_splitter.cc. IcuRegexSplitter on the same
// pattern is the oracle; tests compare the two on every fixture text and on
// random mixed-script strings.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "encoder/tokenizer/splitter.h"

namespace lateral::tok {

struct Llama3SplitterOptions {
  int max_digits = 3;  // 3 for \p{N}{1,3}, 1 for \p{N}
};

// The options when `pattern` is exactly one of the patterns this matcher
// implements, else nullopt.
std::optional<Llama3SplitterOptions> RecognizeLlama3Pattern(std::string_view pattern);

// The regex text for `options` (what RecognizeLlama3Pattern accepts).
std::string Llama3Pattern(const Llama3SplitterOptions& options);

std::unique_ptr<Splitter> NewLlama3Splitter(const Llama3SplitterOptions& options);

}  // namespace lateral::tok

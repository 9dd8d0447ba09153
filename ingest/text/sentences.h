// Sentence boundaries of UTF-8 text in any script, as byte spans.
//
// Used by the chunker (ingest/text/chunker.h), which packs whole sentences into passages. ICU's
// sentence BreakIterator (Unicode UAX #29 rules; a break after a whole word found in ICU's
// abbreviation lists for English, German, Spanish, French, Italian, Portuguese and Russian is
// dropped, so "Dr. Smith" stays one sentence) runs over
// the UTF-8 bytes directly, so its offsets are byte offsets. It handles 。！？ (Chinese,
// Japanese), । (Devanagari), ؟ and ۔ (Arabic script) and every other sentence terminator of
// Unicode. Thai and Lao have no sentence punctuation -- they separate sentences (and phrases) with
// spaces -- so runs of those scripts are also split at spaces. Any line break ends a sentence.
//
// Guarantees: spans are non-empty, in order, non-overlapping, within the text, start and end on
// code point boundaries, never begin or end with whitespace (Unicode White_Space), and together
// cover every non-whitespace byte of the text. Whitespace between sentences is left out.
// Input must be valid UTF-8 (DecodeToUtf8's output). Thread-safe (one iterator per thread).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace lateral::ingest {

// A byte range [begin, end) of a UTF-8 text.
struct TextSpan {
  size_t begin;
  size_t end;
};

std::vector<TextSpan> SentenceSpans(std::string_view utf8);

// Byte range of `span` without leading and trailing Unicode whitespace (empty, with begin == end,
// when it is all whitespace). Shared with the chunker so that both agree on "whitespace".
TextSpan TrimWhitespace(std::string_view utf8, TextSpan span);

}  // namespace lateral::ingest

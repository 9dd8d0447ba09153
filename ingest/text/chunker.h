// Splits a document's text into passages for the ColBERT encoder (and BM25), in model tokens.
//
// Called by the ingest pipeline once per extracted document. The encoder reads at most max_tokens
// tokens of a passage, so every chunk must fit; the counter is injected (the real tokenizer, or
// ApproximateTokenCount when no encoder is configured) because chunking must not depend on the
// encoder module.
//
// How chunks are formed (all byte offsets are into the `utf8` argument):
//   - The text is cut into sentences (SentenceSpans). A sentence longer than max_tokens is cut at
//     word boundaries (ICU word BreakIterator), and a single word longer than that at grapheme
//     cluster boundaries, so no sentence is ever cut when it fits.
//   - Sentences are packed greedily. A new chunk starts early at a paragraph break (a blank line)
//     or a Markdown heading line ("# ...") once the current chunk is at least half full.
//   - With overlap_tokens > 0, every chunk after the first starts with trailing sentences of the
//     previous chunk totalling at most overlap_tokens (by count_tokens on their text), never all
//     of the previous chunk, so every chunk adds new text.
// Guarantees: count_tokens(text of each chunk) <= max_tokens (checked on the chunk's own text, so
// counters that are not additive are fine); chunks are in order, begin and end on non-whitespace
// code points, and together cover every non-whitespace byte; whitespace-only input gives no chunks.
// The counter is called about once per sentence and once per chunk (a few times more per chunk
// when its counts are not additive, O(log) times per piece of an over-long sentence).
// Errors: InvalidArgument for bad options, or when one grapheme cluster alone exceeds max_tokens.
// Thread-safe when the counter is.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::ingest {

// Number of model tokens of `text` (a substring of the document, valid UTF-8).
using TokenCounter = std::function<int(std::string_view text)>;

struct ChunkOptions {
  int max_tokens = 0;      // required, > 0: the encoder's document length
  int overlap_tokens = 0;  // 0 = no overlap; must be < max_tokens
};

struct Chunk {
  size_t byte_begin;  // [byte_begin, byte_end) in the input text
  size_t byte_end;
  int line_begin;     // 1-based lines of the input text ('\n' counted; "\r\n" is one break)
  int line_end;       // inclusive
  int num_tokens;     // count_tokens(text of the chunk)
};

absl::StatusOr<std::vector<Chunk>> ChunkText(std::string_view utf8, const ChunkOptions& options,
                                             const TokenCounter& count_tokens);

// A model-free estimate of a multilingual BPE tokenizer's token count, used when no encoder is
// configured. It counts: one token per run of letters, marks and digits of up to 8 code points (a
// longer run counts one more per 8, as BPE splits long words); one per punctuation or symbol code
// point; and one per code point of the scripts written without spaces or whose words BPE
// vocabularies split into about a token per character (Han, Hiragana, Katakana, Hangul, Thai, Lao,
// Khmer, Myanmar, Tibetan; combining marks excluded). Whitespace and controls count nothing.
// This is close to real tokenizers on English and CJK and an underestimate for scripts that BPE
// fragments more (Devanagari, Cyrillic, Arabic often take 2-4 tokens a word). It is monotone
// (a longer prefix never counts less), and cutting text in two adds at most one token to the sum.
int ApproximateTokenCount(std::string_view utf8);

}  // namespace lateral::ingest

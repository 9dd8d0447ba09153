// Text <-> token ids for the LFM2 family and other Hugging Face checkpoints.
//
// Tokenizer is what the rest of lateral uses (the model runtime, the ColBERT
// encoder, the CLI). Two implementations sit behind it:
//   - HfTokenizer (hf_tokenizer.h), loaded from a Hugging Face tokenizer.json
//     (tokenizer_json.h). It reproduces the `tokenizers` library exactly for
//     byte-level BPE models such as LFM2's: added tokens, normalizer,
//     pre-tokenizer, BPE, post-processor, ByteLevel decoder.
//   - SentencePieceTokenizer (sentencepiece_tokenizer.h), for checkpoints that
//     ship only a SentencePiece tokenizer.model.
// docs/TOKENIZER.md describes the pipeline and what is supported.
//
// Thread safety: a loaded Tokenizer is immutable apart from internal caches
// that are synchronized; every const method may be called from many threads at
// once. A StreamingDecoder is single-threaded state and must not outlive the
// Tokenizer that made it.
//
// Errors are absl::Status values; no exception escapes a public function.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lateral {

// Decodes ids one at a time, for printing generated text as it comes. Push
// returns the text that became complete (valid UTF-8); a multi-byte character
// whose bytes arrive in several byte-level tokens is held back until its last
// byte arrives. The concatenation of every Push result and Finish equals
// Tokenizer::Decode of all the ids pushed.
class StreamingDecoder {
 public:
  virtual ~StreamingDecoder() = default;
  virtual std::string Push(int32_t id) = 0;
  // Flushes what is held back (invalid bytes as U+FFFD, as the batch decoder does).
  virtual std::string Finish() = 0;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Loads from a model directory as the Hugging Face hub ships it:
  // tokenizer.json (+ tokenizer_config.json for the bos/eos/pad names), or a
  // SentencePiece tokenizer.model when there is no tokenizer.json. Every error
  // names the file and the field.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromDirectory(const std::string& dir);

  // add_special_tokens applies the post-processor (BOS for LFM2). Fails
  // (InvalidArgument) on invalid UTF-8 input, naming the byte offset.
  virtual absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text,
                                                      bool add_special_tokens) const = 0;
  // Ids that name no token are skipped; byte sequences that are not valid
  // UTF-8 come out as U+FFFD.
  virtual std::string Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const = 0;
  virtual std::unique_ptr<StreamingDecoder> NewStreamingDecoder(
      bool skip_special_tokens) const = 0;

  // Vocabulary or added token, exact string.
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;
  virtual std::optional<std::string> IdToToken(int32_t id) const = 0;
  // Max id + 1 over vocabulary and added tokens.
  virtual int32_t VocabSize() const = 0;
  virtual bool IsSpecial(int32_t id) const = 0;
  // From tokenizer_config.json bos_token (or the post-processor), else nullopt.
  virtual std::optional<int32_t> BosId() const = 0;
  // tokenizer_config.json eos_token.
  virtual std::optional<int32_t> EosId() const = 0;
  virtual std::optional<int32_t> PadId() const = 0;
};

}  // namespace lateral

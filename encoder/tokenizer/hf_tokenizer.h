// The Tokenizer for Hugging Face tokenizer.json files (internal to
// encoder/tokenizer/; callers get it through Tokenizer::FromDirectory or
// LoadTokenizerJson).
//
// Owns the whole pipeline, which runs as in tokenizers' encode():
//   1. added tokens with normalized=false are cut out of the raw text;
//   2. each remaining piece is normalized, then added tokens with
//      normalized=true are cut out of it;
//   3. the pre-tokenizer splits what remains, the BPE model tokenizes each
//      pre-token;
//   4. with add_special_tokens, the post-processor's ids go around the result.
// Decoding maps each id to bytes (the ByteLevel decoder) or to its token
// string joined with spaces (no decoder), then applies Rust's lossy UTF-8
// conversion. tokenizer_json.cc parses the file into HfTokenizerParts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/tokenizer/added_tokens.h"
#include "encoder/tokenizer/bpe_model.h"
#include "encoder/tokenizer/normalizer.h"
#include "encoder/tokenizer/pretokenizer.h"
#include "encoder/tokenizer/string_util.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral::tok {

enum class DecoderKind {
  kNone,       // decoder: null; tokens joined with " "
  kByteLevel,  // tokens -> bytes through the GPT-2 alphabet, then lossy UTF-8
};

struct HfTokenizerParts {
  std::string source;                      // the tokenizer.json path, for messages
  std::unique_ptr<Normalizer> normalizer;  // null when none
  PreTokenizer pre_tokenizer;
  std::unique_ptr<BpeModel> model;
  // As listed in the file; ids are reassigned by Create exactly as tokenizers
  // does (an existing vocabulary id, else the next free one).
  std::vector<AddedToken> added_tokens;
  std::vector<int32_t> special_prefix;  // post-processor ids before the text
  std::vector<int32_t> special_suffix;  // and after it
  DecoderKind decoder = DecoderKind::kByteLevel;
  // Token names from tokenizer_config.json; BOS falls back to the first
  // post-processor id.
  std::optional<std::string> bos_token, eos_token, pad_token;
  std::string config_source;  // tokenizer_config.json path, for messages
};

class HfTokenizer final : public Tokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> Create(HfTokenizerParts parts);

  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text,
                                              bool add_special_tokens) const override;
  std::string Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const override;
  std::unique_ptr<StreamingDecoder> NewStreamingDecoder(bool skip_special_tokens) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  std::optional<std::string> IdToToken(int32_t id) const override;
  int32_t VocabSize() const override { return static_cast<int32_t>(id_info_.size()); }
  bool IsSpecial(int32_t id) const override;
  std::optional<int32_t> BosId() const override { return bos_id_; }
  std::optional<int32_t> EosId() const override { return eos_id_; }
  std::optional<int32_t> PadId() const override { return pad_id_; }

  // Forgets cached pre-tokens (benchmarks measure a cold cache with it).
  void ClearCache() const { parts_.model->ClearCache(); }

 private:
  // What decoding needs per id.
  struct IdInfo {
    bool present = false;
    bool special = false;       // its token string is a special added token
    std::string token;          // what IdToToken returns
    std::string decoded_bytes;  // what the decoder turns it into
  };
  class Streaming;

  explicit HfTokenizer(HfTokenizerParts parts) : parts_(std::move(parts)) {}
  absl::Status AssignAddedTokens();
  absl::Status BuildIdTable();
  absl::Status ResolveSpecialIds();

  absl::Status EncodeText(std::string_view text, std::vector<int32_t>* ids) const;
  absl::Status EncodeNormalized(std::string_view text, std::vector<int32_t>* ids) const;
  bool Keep(int32_t id, bool skip_special_tokens) const;

  HfTokenizerParts parts_;
  StringMap<int32_t> added_ids_;  // content -> id
  AddedTokenMatcher raw_matcher_;         // normalized == false
  AddedTokenMatcher normalized_matcher_;  // normalized == true
  std::vector<IdInfo> id_info_;
  std::optional<int32_t> bos_id_, eos_id_, pad_id_;
};

}  // namespace lateral::tok

// tokenizer_config.json: the special-token names a checkpoint declares
// (internal to encoder/tokenizer/).
//
// transformers keeps bos/eos/pad/unk names here rather than in
// tokenizer.json; both loaders (tokenizer_json.cc, sentencepiece_tokenizer.cc)
// read it to answer BosId/EosId/PadId. A name may be written as a string or
// as an AddedToken object {"content": ...}; null means "none".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral::tok {

struct TokenizerConfig {
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;
  std::optional<std::string> unk_token;
  std::optional<bool> add_bos_token;  // SentencePiece (LLaMA-style) checkpoints
  std::optional<bool> add_eos_token;
};

// `source` names the file in errors.
absl::StatusOr<TokenizerConfig> ParseTokenizerConfig(std::string_view json_text,
                                                     std::string_view source);
// An empty path gives an empty config.
absl::StatusOr<TokenizerConfig> ReadTokenizerConfig(const std::string& path);

}  // namespace lateral::tok

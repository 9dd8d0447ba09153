// A Tokenizer over a SentencePiece tokenizer.model, for checkpoints that ship
// no tokenizer.json.
//
// Encoding and decoding are SentencePiece's own (through the adapter in
// sentencepiece_adapter.h). What this class adds is the transformers
// conventions: add_special_tokens prepends BOS (and appends EOS) according to
// tokenizer_config.json's add_bos_token (default true when the model has a
// BOS) and add_eos_token (default false); control pieces are the special
// tokens; decoding renders a special token as its piece when it is not
// skipped, and decodes the ordinary ids between special tokens as one
// SentencePiece run each.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral {

// `tokenizer_config_path_or_empty` supplies bos/eos/pad names and the
// add_bos_token / add_eos_token flags.
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadSentencePieceTokenizer(
    const std::string& model_path, const std::string& tokenizer_config_path_or_empty);

}  // namespace lateral

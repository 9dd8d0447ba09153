// Loading a Hugging Face tokenizer.json.
//
// LoadTokenizerJson is the entry point Tokenizer::FromDirectory uses; the
// lateral::tok functions below give tests, benchmarks and the fuzzer the
// concrete HfTokenizer and a few knobs. Supported content (anything else is
// rejected with an error naming the file and the field, e.g.
// "x/tokenizer.json: pre_tokenizer.pretokenizers[1].type: \"Metaspace\" is not
// supported (supported: Sequence, Split, ByteLevel)"):
//   model           BPE (merges as "a b" strings or ["a", "b"] pairs;
//                   ignore_merges, byte_fallback, unk_token/fuse_unk,
//                   continuing_subword_prefix, end_of_word_suffix; dropout only 0/null)
//   normalizer      null, NFC, NFD, NFKC, NFKD, Lowercase, Prepend,
//                   Replace (String pattern), Sequence
//   pre_tokenizer   null, Split (Regex or String pattern, any behaviour,
//                   invert), ByteLevel (add_prefix_space, use_regex), Sequence
//   post_processor  null, TemplateProcessing (single), ByteLevel,
//                   BertProcessing, RobertaProcessing, Sequence
//   decoder         null, ByteLevel
//   added_tokens    all flags (single_word, lstrip, rstrip, normalized, special)
// "truncation" and "padding" are ignored, as transformers overrides them per call.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "encoder/tokenizer/hf_tokenizer.h"
#include "encoder/tokenizer/piece_cache.h"
#include "encoder/tokenizer/tokenizer.h"
#include "encoder/tokenizer/tokenizer_config.h"

namespace lateral {

// `tokenizer_config_path_or_empty` supplies the bos/eos/pad token names.
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerJson(
    const std::string& tokenizer_json_path, const std::string& tokenizer_config_path_or_empty);

namespace tok {

struct TokenizerJsonOptions {
  // Run every Split regex through ICU, even the LLaMA-3 pattern that has a
  // hand-written matcher (the reference path, for tests and benchmarks).
  bool force_icu_regex = false;
  // Entries in the pre-token cache; 0 disables it.
  size_t cache_capacity = PieceCache::kDefaultCapacity;
};

absl::StatusOr<std::unique_ptr<HfTokenizer>> LoadHfTokenizer(
    const std::string& tokenizer_json_path, const std::string& tokenizer_config_path_or_empty,
    const TokenizerJsonOptions& options);

// Builds a tokenizer from the text of a tokenizer.json; `source` names it in
// errors. `config` supplies the bos/eos/pad names (config_source names it).
absl::StatusOr<std::unique_ptr<HfTokenizer>> ParseTokenizerJson(
    std::string_view json_text, std::string_view source, const TokenizerConfig& config,
    std::string_view config_source, const TokenizerJsonOptions& options);

}  // namespace tok
}  // namespace lateral

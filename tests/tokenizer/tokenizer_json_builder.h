// Small tokenizer.json documents written by the tests themselves, so that
// every rule of the pipeline can be checked on a vocabulary whose answer is
// obvious from first principles.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "encoder/tokenizer/tokenizer_json.h"
#include "gtest/gtest.h"

namespace lateral::testing {

using JsonDoc = nlohmann::json;

// A tokenizer.json with a BPE model over `vocab` and `merges` and nothing else.
inline JsonDoc MinimalTokenizerJson(const std::vector<std::string>& vocab,
                                    const std::vector<std::string>& merges) {
  JsonDoc model = {{"type", "BPE"}, {"vocab", JsonDoc::object()}, {"merges", merges}};
  for (size_t i = 0; i < vocab.size(); ++i) model["vocab"][vocab[i]] = i;
  return JsonDoc{{"version", "1.0"},      {"added_tokens", JsonDoc::array()},
                 {"normalizer", nullptr}, {"pre_tokenizer", nullptr},
                 {"post_processor", nullptr}, {"decoder", nullptr},
                 {"model", model}};
}

inline JsonDoc AddedTokenJson(int id, const std::string& content, bool special,
                              bool normalized = false) {
  return JsonDoc{{"id", id},           {"content", content}, {"single_word", false},
                 {"lstrip", false},    {"rstrip", false},    {"normalized", normalized},
                 {"special", special}};
}

inline absl::StatusOr<std::unique_ptr<tok::HfTokenizer>> Build(
    const JsonDoc& doc, const tok::TokenizerConfig& config = tok::TokenizerConfig(),
    tok::TokenizerJsonOptions options = tok::TokenizerJsonOptions()) {
  return tok::ParseTokenizerJson(doc.dump(), "test/tokenizer.json", config,
                                 "test/tokenizer_config.json", options);
}

}  // namespace lateral::testing

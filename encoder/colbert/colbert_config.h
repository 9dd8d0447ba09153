// The settings of a ColBERT model directory in the PyLate / sentence-transformers
// layout: modules.json (Transformer, then Dense), config_sentence_transformers.json
// (prefixes, lengths, expansion, skiplist) and the Dense module's config.json.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral {

struct ColbertConfig {
  std::string query_prefix = "[Q] ";
  std::string document_prefix = "[D] ";
  int query_length = 32;       // PyLate default; the model's file overrides
  int document_length = 180;   // PyLate default; LFM2-ColBERT sets 512
  bool do_query_expansion = true;
  bool attend_to_expansion_tokens = false;
  std::vector<std::string> skiplist_words;  // PyLate default: string.punctuation
  std::string dense_path = "1_Dense";       // folder of the projection, from modules.json
  int dense_in_features = 0;
  int dense_out_features = 0;
  bool dense_bias = false;
};

// Returns true when DIR looks like a PyLate ColBERT directory (has modules.json
// naming a Dense module, or config_sentence_transformers.json).
bool IsColbertDirectory(const std::string& dir);

// Reads and validates the PyLate files of DIR. Errors name the file and field.
absl::StatusOr<ColbertConfig> LoadColbertConfig(const std::string& dir);

}  // namespace lateral

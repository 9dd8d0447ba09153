// LFM2-ColBERT: queries and documents to one L2-normalised vector per token,
// exactly as PyLate computes them (shared/reference/LFM2.md §13).
//
// ColbertEncoder owns the trunk (Lfm2Model), the tokenizer and the Dense
// projection of a PyLate model directory. Encode* are const and thread-safe;
// each call batches its texts into as few forward passes as the token budget
// allows. Scoring lives in query/ (MaxSim), not here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "encoder/colbert/colbert_config.h"
#include "encoder/model/lfm2_model.h"
#include "encoder/tokenizer/tokenizer.h"

namespace lateral {

// The token vectors of one query or document.
struct TokenEmbeddings {
  std::vector<int32_t> input_ids;  // what the trunk saw, marker and expansion included
  std::vector<float> vectors;      // [num_vectors, dim], each of unit length
  int64_t num_vectors = 0;
  int64_t dim = 0;
};

// The model-facing form of a text before the trunk runs, exposed for tests.
struct ColbertInput {
  std::vector<int32_t> ids;
  std::vector<uint8_t> attention_mask;
};

class ColbertEncoder {
 public:
  // `precision` sets the trunk's matrix storage (unset: DefaultPrecision of
  // the checkpoint, see ModelLoadOptions); the small projection head stays f32.
  static absl::StatusOr<std::unique_ptr<ColbertEncoder>> Load(
      const std::string& model_dir, std::optional<Precision> precision = std::nullopt);

  // Tokenisation as PyLate does it: BOS, marker after BOS, truncation, and for
  // queries expansion to query_length with masked pad tokens.
  absl::StatusOr<ColbertInput> PrepareQuery(std::string_view text) const;
  absl::StatusOr<ColbertInput> PrepareDocument(std::string_view text) const;
  // Whether position t of a prepared input gets an output vector: every
  // position of an expanded query, otherwise the attended ones, and for
  // documents not the skiplist's tokens (punctuation). Encode* emit the kept
  // positions' vectors in order; callers that map vectors back to tokens
  // (search --explain) use this.
  bool KeepsVector(const ColbertInput& input, size_t t, bool is_query) const;

  absl::StatusOr<std::vector<TokenEmbeddings>> EncodeQueries(absl::Span<const std::string> texts) const;
  absl::StatusOr<std::vector<TokenEmbeddings>> EncodeDocuments(absl::Span<const std::string> texts) const;

  const ColbertConfig& config() const { return config_; }
  const Lfm2Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  int dim() const { return config_.dense_out_features; }
  // A stable description of what produces these vectors, for index manifests.
  std::string Identity() const;

 private:
  ColbertEncoder() = default;
  absl::StatusOr<std::vector<TokenEmbeddings>> Encode(absl::Span<const std::string> texts,
                                                      bool is_query) const;
  ColbertInput Prepare(std::vector<int32_t> ids, bool is_query) const;

  std::string model_dir_;
  ColbertConfig config_;
  std::unique_ptr<Lfm2Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  WeightTensor dense_weight_;  // [dim, hidden]
  WeightTensor dense_bias_;    // [dim] or empty
  std::unique_ptr<Checkpoint> dense_checkpoint_;
  int32_t query_marker_id_ = 0;
  int32_t document_marker_id_ = 0;
  int32_t expansion_pad_id_ = 0;
  absl::flat_hash_set<int32_t> skiplist_ids_;
};

}  // namespace lateral

#include "encoder/colbert/colbert_encoder.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "encoder/model/tensor_ops.h"

namespace lateral {
namespace {

// Texts are encoded in groups whose token count stays under this, bounding
// activation memory (about 40 KB per token for the 350M trunk) without
// giving up the matrix-product efficiency of large batches.
constexpr int64_t kMaxTokensPerForward = 8192;

}  // namespace

absl::StatusOr<std::unique_ptr<ColbertEncoder>> ColbertEncoder::Load(const std::string& model_dir,
                                                                     std::optional<Precision> precision) {
  std::unique_ptr<ColbertEncoder> enc(new ColbertEncoder());
  enc->model_dir_ = model_dir;
  LATERAL_ASSIGN_OR_RETURN(enc->config_, LoadColbertConfig(model_dir));
  // PyLate loads the trunk directly in float32, so RoPE frequencies stay float32.
  ModelLoadOptions options;
  options.rope_frequencies = RopeFrequencies::kFloat32;
  options.precision = precision;
  LATERAL_ASSIGN_OR_RETURN(enc->model_, Lfm2Model::Load(model_dir, options));
  LATERAL_ASSIGN_OR_RETURN(enc->tokenizer_, Tokenizer::FromDirectory(model_dir));
  const ColbertConfig& c = enc->config_;

  const std::string dense_dir = absl::StrCat(model_dir, "/", c.dense_path);
  LATERAL_ASSIGN_OR_RETURN(Checkpoint dense, Checkpoint::OpenDirectory(dense_dir));
  enc->dense_checkpoint_ = std::make_unique<Checkpoint>(std::move(dense));
  LATERAL_ASSIGN_OR_RETURN(const TensorView* w, enc->dense_checkpoint_->Get("linear.weight"));
  const std::vector<int64_t> want = {c.dense_out_features, c.dense_in_features};
  if (w->shape != want || c.dense_in_features != enc->model_->config().hidden_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        dense_dir, "/model.safetensors: linear.weight must be [", c.dense_out_features, ", ",
        enc->model_->config().hidden_size, "] (out_features x hidden_size)"));
  }
  LATERAL_ASSIGN_OR_RETURN(enc->dense_weight_, WeightTensor::FromView(*w));
  if (c.dense_bias) {
    LATERAL_ASSIGN_OR_RETURN(const TensorView* b, enc->dense_checkpoint_->Get("linear.bias"));
    if (b->shape != std::vector<int64_t>{c.dense_out_features}) {
      return absl::InvalidArgumentError(absl::StrCat(dense_dir, ": linear.bias has the wrong shape"));
    }
    LATERAL_ASSIGN_OR_RETURN(enc->dense_bias_, WeightTensor::FromView(*b));
  }

  const Tokenizer& tok = *enc->tokenizer_;
  auto marker = [&](const std::string& prefix, const char* field) -> absl::StatusOr<int32_t> {
    std::optional<int32_t> id = tok.TokenToId(prefix);
    if (!id.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          model_dir, "/config_sentence_transformers.json: ", field, " \"", prefix,
          "\" is not a token of the tokenizer"));
    }
    return *id;
  };
  LATERAL_ASSIGN_OR_RETURN(enc->query_marker_id_, marker(c.query_prefix, "query_prefix"));
  LATERAL_ASSIGN_OR_RETURN(enc->document_marker_id_, marker(c.document_prefix, "document_prefix"));
  // PyLate pads query expansion with the mask token when there is one, else EOS.
  std::optional<int32_t> pad = tok.TokenToId("<mask>");
  if (!pad.has_value()) pad = tok.EosId();
  if (!pad.has_value()) pad = tok.PadId();
  if (!pad.has_value() && c.do_query_expansion) {
    return absl::InvalidArgumentError(absl::StrCat(
        model_dir, ": query expansion needs an EOS or pad token in tokenizer_config.json"));
  }
  enc->expansion_pad_id_ = pad.value_or(0);
  for (const std::string& word : c.skiplist_words) {
    std::optional<int32_t> id = tok.TokenToId(word);
    if (id.has_value()) enc->skiplist_ids_.insert(*id);
  }
  return enc;
}

std::string ColbertEncoder::Identity() const {
  const ModelConfig& m = model_->config();
  return absl::StrCat("lfm2-colbert:h", m.hidden_size, ":l", m.num_layers, ":v", m.vocab_size,
                      ":dim", dim(), ":q", config_.query_length, ":d", config_.document_length);
}

ColbertInput ColbertEncoder::Prepare(std::vector<int32_t> ids, bool is_query) const {
  // `ids` start with the tokenizer's special tokens (BOS); truncate so that the
  // marker fits within the configured length, as PyLate does with max_length - 1.
  const size_t limit = static_cast<size_t>((is_query ? config_.query_length : config_.document_length) - 1);
  if (ids.size() > limit) ids.resize(limit);
  std::vector<uint8_t> mask(ids.size(), 1);
  if (is_query && config_.do_query_expansion) {
    ids.resize(limit, expansion_pad_id_);
    mask.resize(limit, config_.attend_to_expansion_tokens ? 1 : 0);
  }
  const size_t at = std::min<size_t>(1, ids.size());
  ids.insert(ids.begin() + at, is_query ? query_marker_id_ : document_marker_id_);
  mask.insert(mask.begin() + at, 1);
  return {std::move(ids), std::move(mask)};
}

bool ColbertEncoder::KeepsVector(const ColbertInput& input, size_t t, bool is_query) const {
  if (is_query && config_.do_query_expansion) return true;
  return input.attention_mask[t] && (is_query || !skiplist_ids_.contains(input.ids[t]));
}

absl::StatusOr<ColbertInput> ColbertEncoder::PrepareQuery(std::string_view text) const {
  LATERAL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer_->Encode(text, /*add_special_tokens=*/true));
  return Prepare(std::move(ids), /*is_query=*/true);
}

absl::StatusOr<ColbertInput> ColbertEncoder::PrepareDocument(std::string_view text) const {
  LATERAL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer_->Encode(text, /*add_special_tokens=*/true));
  return Prepare(std::move(ids), /*is_query=*/false);
}

absl::StatusOr<std::vector<TokenEmbeddings>> ColbertEncoder::EncodeQueries(
    absl::Span<const std::string> texts) const {
  return Encode(texts, /*is_query=*/true);
}

absl::StatusOr<std::vector<TokenEmbeddings>> ColbertEncoder::EncodeDocuments(
    absl::Span<const std::string> texts) const {
  return Encode(texts, /*is_query=*/false);
}

absl::StatusOr<std::vector<TokenEmbeddings>> ColbertEncoder::Encode(absl::Span<const std::string> texts,
                                                                    bool is_query) const {
  std::vector<ColbertInput> inputs;
  inputs.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StatusOr<ColbertInput> in = is_query ? PrepareQuery(texts[i]) : PrepareDocument(texts[i]);
    if (!in.ok()) {
      return absl::Status(in.status().code(), absl::StrCat("text ", i, ": ", in.status().message()));
    }
    inputs.push_back(std::move(*in));
  }
  const int64_t hidden = model_->config().hidden_size, dim = this->dim();
  std::vector<TokenEmbeddings> out(texts.size());
  size_t next = 0;
  while (next < inputs.size()) {
    // One forward pass over as many texts as fit the token budget (at least one).
    size_t end = next;
    int64_t tokens = 0;
    while (end < inputs.size() &&
           (end == next || tokens + static_cast<int64_t>(inputs[end].ids.size()) <= kMaxTokensPerForward)) {
      tokens += static_cast<int64_t>(inputs[end].ids.size());
      ++end;
    }
    std::vector<SequenceState> states;
    states.reserve(end - next);
    std::vector<SequenceInput> batch;
    for (size_t i = next; i < end; ++i) {
      states.push_back(model_->NewState());
      batch.push_back({&states.back(), inputs[i].ids, inputs[i].attention_mask});
    }
    LATERAL_ASSIGN_OR_RETURN(ForwardResult result, model_->Forward(batch, ForwardOptions{}));
    std::vector<float> projected(tokens * dim);
    MatMulTransposed(result.hidden_states.data(), tokens, hidden, dense_weight_, projected.data());
    if (!dense_bias_.empty()) AddBiasRows(projected.data(), tokens, dim, dense_bias_.data());

    for (size_t i = next; i < end; ++i) {
      const ColbertInput& in = inputs[i];
      TokenEmbeddings& e = out[i];
      e.input_ids = in.ids;
      e.dim = dim;
      const int64_t first = result.row_offsets[i - next];
      for (size_t t = 0; t < in.ids.size(); ++t) {
        // Queries with expansion keep every vector; otherwise real tokens only,
        // and documents also drop skiplist tokens (punctuation).
        if (!KeepsVector(in, t, is_query)) continue;
        const float* row = projected.data() + (first + static_cast<int64_t>(t)) * dim;
        double norm = 0;
        for (int64_t k = 0; k < dim; ++k) norm += static_cast<double>(row[k]) * row[k];
        const float inv = 1.0f / static_cast<float>(std::max(std::sqrt(norm), 1e-12));
        for (int64_t k = 0; k < dim; ++k) e.vectors.push_back(row[k] * inv);
        ++e.num_vectors;
      }
    }
    next = end;
  }
  return out;
}

}  // namespace lateral

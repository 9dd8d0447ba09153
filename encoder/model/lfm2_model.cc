#include "encoder/model/lfm2_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/numeric_formats.h"
#include "encoder/model/checkpoint.h"
#include "encoder/model/tensor_ops.h"
#include "tbb/parallel_for.h"

namespace lateral {

// Bookkeeping for one Forward call: where each sequence's new tokens sit in
// the batch's row-major activation matrices.
struct Lfm2Model::Batch {
  absl::Span<const SequenceInput> inputs;
  std::vector<int64_t> offsets;   // size n+1
  std::vector<uint8_t> mask;      // [total rows], 1 = real token
  int64_t rows = 0;
};

Lfm2Model::Lfm2Model(ModelConfig config, ModelWeights weights, ModelLoadOptions options)
    : config_(std::move(config)), weights_(std::move(weights)), options_(options) {
  // Same float32 steps as the reference: inv_freq = 1 / theta^(2j/d).
  const int half = config_.head_dim / 2;
  rope_inv_freq_.resize(half);
  for (int j = 0; j < half; ++j) {
    const float exponent = static_cast<float>(2 * j) / static_cast<float>(config_.head_dim);
    rope_inv_freq_[j] = 1.0f / std::pow(static_cast<float>(config_.rope_theta), exponent);
    if (options_.rope_frequencies == RopeFrequencies::kBf16Rounded) {
      rope_inv_freq_[j] = Bf16ToFloat(FloatToBf16(rope_inv_freq_[j]));
    }
  }
  for (int i = 0; i < config_.num_layers && first_attention_layer_ < 0; ++i) {
    if (config_.layer_kinds[i] == LayerKind::kAttention) first_attention_layer_ = i;
  }
}

absl::StatusOr<std::unique_ptr<Lfm2Model>> Lfm2Model::Load(const std::string& model_dir,
                                                        const ModelLoadOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(ModelConfig config, LoadModelConfig(model_dir));
  LATERAL_ASSIGN_OR_RETURN(Checkpoint checkpoint, Checkpoint::OpenDirectory(model_dir));
  const Precision precision = options.precision.value_or(DefaultPrecision(checkpoint));
  LATERAL_ASSIGN_OR_RETURN(
      ModelWeights weights,
      LoadModelWeights(config, std::make_unique<Checkpoint>(std::move(checkpoint)), precision));
  return FromParts(std::move(config), std::move(weights), options);
}

std::unique_ptr<Lfm2Model> Lfm2Model::FromParts(ModelConfig config, ModelWeights weights,
                                                const ModelLoadOptions& options) {
  return std::unique_ptr<Lfm2Model>(new Lfm2Model(std::move(config), std::move(weights), options));
}

absl::Status Lfm2Model::CheckInputs(absl::Span<const SequenceInput> inputs, const ForwardOptions& options) const {
  for (size_t s = 0; s < inputs.size(); ++s) {
    const SequenceInput& in = inputs[s];
    if (in.state == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", s, " has no state"));
    }
    if (in.ids.empty()) return absl::InvalidArgumentError(absl::StrCat("sequence ", s, " has no tokens"));
    if (!in.mask.empty() && in.mask.size() != in.ids.size()) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", s, " has ", in.ids.size(),
                                                     " tokens but a mask of ", in.mask.size()));
    }
    if (in.state->conv_.size() != static_cast<size_t>(config_.num_layers)) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", s, " has a state of another model"));
    }
    for (size_t i = 0; i < in.ids.size(); ++i) {
      if (in.ids[i] < 0 || in.ids[i] >= config_.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("token id ", in.ids[i], " at position ", i,
                                                       " of sequence ", s, " is outside the vocabulary (0..",
                                                       config_.vocab_size - 1, ")"));
      }
      if (!in.mask.empty() && in.mask[i] > 1) {
        return absl::InvalidArgumentError("attention mask values must be 0 or 1");
      }
    }
  }
  if (options.return_last_logits && !has_lm_head()) {
    return absl::FailedPreconditionError(
        "this checkpoint has no language-model head (no lm_head.weight and tie_word_embeddings is false)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ForwardResult> Lfm2Model::Forward(absl::Span<const SequenceInput> inputs,
                                                 const ForwardOptions& options) const {
  LATERAL_RETURN_IF_ERROR(CheckInputs(inputs, options));
  int64_t total_rows = 0;
  for (const SequenceInput& in : inputs) total_rows += static_cast<int64_t>(in.ids.size());
  if (total_rows <= kRowsPerPass) return ForwardPass(inputs, options, {});

  // Passes of at most kRowsPerPass tokens: short sequences grouped whole,
  // long ones cut into consecutive pieces. A piece of kRowsPerPass tokens
  // fills a pass alone, so two pieces of one sequence never share a pass and
  // each piece runs on the state its predecessor left. Results are those of
  // one pass up to summation order (the same holds for chunked prefill);
  // only the activations' cache footprint shrinks.
  const int64_t hidden = config_.hidden_size, vocab = config_.vocab_size;
  std::vector<std::vector<float>> rows_of(inputs.size());
  ForwardResult merged;
  if (options.return_last_logits) merged.last_logits.resize(inputs.size() * vocab);
  std::vector<SequenceInput> pass;
  std::vector<size_t> owner;
  std::vector<uint8_t> last_piece;  // logits only for a sequence's last piece
  int64_t pass_rows = 0;
  auto run_pass = [&] {
    ForwardResult part = ForwardPass(pass, options, last_piece);
    for (size_t i = 0; i < pass.size(); ++i) {
      if (options.return_hidden_states) {
        rows_of[owner[i]].insert(rows_of[owner[i]].end(), part.hidden_states.begin() + part.row_offsets[i] * hidden,
                                 part.hidden_states.begin() + part.row_offsets[i + 1] * hidden);
      }
      if (options.return_last_logits && last_piece[i]) {
        std::copy(part.last_logits.begin() + i * vocab, part.last_logits.begin() + (i + 1) * vocab,
                  merged.last_logits.begin() + owner[i] * vocab);
      }
    }
    pass.clear();
    owner.clear();
    last_piece.clear();
    pass_rows = 0;
  };
  for (size_t s = 0; s < inputs.size(); ++s) {
    const SequenceInput& in = inputs[s];
    const int64_t n = static_cast<int64_t>(in.ids.size());
    for (int64_t begin = 0; begin < n; begin += kRowsPerPass) {
      const int64_t count = std::min(kRowsPerPass, n - begin);
      if (pass_rows + count > kRowsPerPass) run_pass();
      pass.push_back({in.state, in.ids.subspan(begin, count),
                      in.mask.empty() ? absl::Span<const uint8_t>() : in.mask.subspan(begin, count)});
      owner.push_back(s);
      last_piece.push_back(begin + count == n);
      pass_rows += count;
    }
  }
  if (!pass.empty()) run_pass();
  merged.row_offsets.push_back(0);
  for (size_t s = 0; s < inputs.size(); ++s) {
    merged.row_offsets.push_back(merged.row_offsets.back() + static_cast<int64_t>(inputs[s].ids.size()));
    merged.hidden_states.insert(merged.hidden_states.end(), rows_of[s].begin(), rows_of[s].end());
  }
  return merged;
}

ForwardResult Lfm2Model::ForwardPass(absl::Span<const SequenceInput> inputs, const ForwardOptions& options,
                                     absl::Span<const uint8_t> logits_wanted) const {
  const int64_t hidden = config_.hidden_size;
  Batch batch;
  batch.inputs = inputs;
  batch.offsets.push_back(0);
  for (const SequenceInput& in : inputs) {
    for (size_t i = 0; i < in.ids.size(); ++i) batch.mask.push_back(in.mask.empty() ? 1 : in.mask[i]);
    batch.offsets.push_back(batch.offsets.back() + static_cast<int64_t>(in.ids.size()));
  }
  const int64_t rows = batch.offsets.back();
  batch.rows = rows;

  // Residual stream h, and scratch for normed inputs and block outputs.
  std::vector<float> h(rows * hidden);
  ScratchFloats normed(rows * hidden), block_out(rows * hidden);
  for (size_t s = 0; s < inputs.size(); ++s) {
    for (size_t i = 0; i < inputs[s].ids.size(); ++i) {
      weights_.embed_tokens.RowToFloat(inputs[s].ids[i], h.data() + (batch.offsets[s] + i) * hidden);
    }
  }
  if (options.observer) options.observer(-1, h.data(), rows, hidden);

  for (int layer = 0; layer < config_.num_layers; ++layer) {
    const LayerWeights& lw = weights_.layers[layer];
    RmsNormRows(h.data(), rows, hidden, lw.operator_norm.data(), config_.norm_eps, normed.data());
    if (lw.kind == LayerKind::kConv) {
      ShortConvLayer(layer, batch, normed.data(), block_out.data());
    } else {
      AttentionLayer(layer, batch, normed.data(), block_out.data());
    }
    for (int64_t i = 0; i < rows * hidden; ++i) h[i] += block_out[i];
    RmsNormRows(h.data(), rows, hidden, lw.ffn_norm.data(), config_.norm_eps, normed.data());
    if (lw.moe.has_value()) {
      MoeFeedForward(*lw.moe, normed.data(), rows, h.data());
    } else {
      DenseFeedForward(lw.ffn, config_.ffn_size, normed.data(), rows, h.data(), /*accumulate=*/true);
    }
    if (options.observer) options.observer(layer, h.data(), rows, hidden);
  }

  for (const SequenceInput& in : inputs) {
    in.state->position_ += static_cast<int64_t>(in.ids.size());
  }

  ForwardResult result;
  result.row_offsets = batch.offsets;
  RmsNormRows(h.data(), rows, hidden, weights_.final_norm.data(), config_.norm_eps, h.data());
  if (options.observer) options.observer(config_.num_layers, h.data(), rows, hidden);
  if (options.return_last_logits) {
    // Rows of the sequences that want logits, then the LM head over those only
    // (it reads the whole output embedding: 128 MB for the 350M shape in bf16).
    const int64_t n = static_cast<int64_t>(inputs.size()), vocab = config_.vocab_size;
    std::vector<int64_t> wanted;
    for (int64_t s = 0; s < n; ++s) {
      if (logits_wanted.empty() || logits_wanted[s]) wanted.push_back(s);
    }
    std::vector<float> last(wanted.size() * hidden), logits(wanted.size() * vocab);
    for (size_t i = 0; i < wanted.size(); ++i) {
      const float* row = h.data() + (batch.offsets[wanted[i] + 1] - 1) * hidden;
      std::copy(row, row + hidden, last.data() + i * hidden);
    }
    const WeightTensor& head = weights_.output_embedding();
    if (options.screen != nullptr && head.storage() == WeightStorage::kBf16) {
      for (size_t i = 0; i < wanted.size(); ++i) {
        screened_head().Logits(last.data() + i * hidden, *options.screen, logits.data() + i * vocab);
      }
    } else if (!wanted.empty()) {
      MatMulTransposed(last.data(), static_cast<int64_t>(wanted.size()), hidden, head, logits.data());
    }
    result.last_logits.assign(n * vocab, 0.0f);
    for (size_t i = 0; i < wanted.size(); ++i) {
      std::copy(logits.begin() + i * vocab, logits.begin() + (i + 1) * vocab,
                result.last_logits.begin() + wanted[i] * vocab);
    }
  }
  if (options.return_hidden_states) result.hidden_states = std::move(h);
  return result;
}

const ScreenedHead& Lfm2Model::screened_head() const {
  std::call_once(screened_head_once_,
                 [&] { screened_head_ = ScreenedHead::Build(weights_.output_embedding()); });
  return *screened_head_;
}

void Lfm2Model::ShortConvLayer(int layer, Batch& batch, const float* normed_in, float* out) const {
  const ShortConvWeights& w = weights_.layers[layer].conv;
  const int64_t H = config_.hidden_size, rows = batch.rows;
  const int64_t L = config_.conv_kernel;
  // Masked tokens enter the block as zeros (transformers' apply_mask_to_padding_states).
  std::vector<float> masked;
  const float* in = normed_in;
  if (std::find(batch.mask.begin(), batch.mask.end(), 0) != batch.mask.end()) {
    masked.assign(normed_in, normed_in + rows * H);
    for (int64_t r = 0; r < rows; ++r) {
      if (!batch.mask[r]) std::fill(masked.begin() + r * H, masked.begin() + (r + 1) * H, 0.0f);
    }
    in = masked.data();
  }
  ScratchFloats bcx(rows * 3 * H);
  MatMulTransposed(in, rows, H, w.in_proj, bcx.data());
  if (!w.in_proj_bias.empty()) AddBiasRows(bcx.data(), rows, 3 * H, w.in_proj_bias.data());

  ScratchFloats y(rows * H);
  const float* kernel = w.kernel.data();  // [H, L]
  const float* kernel_bias = w.kernel_bias.empty() ? nullptr : w.kernel_bias.data();
  // Channels are independent: each task runs a block of channels through every
  // sequence, token by token, with the block's channels innermost (contiguous
  // in bcx and y, so the loops vectorise) and a sliding window of the last L
  // values of v = B ⊙ x per channel. Per channel the sum runs in tap order, as
  // the one-channel-at-a-time form did: the result is bit-identical.
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, H, 64), [&](const tbb::blocked_range<int64_t>& range) {
    const int64_t c0 = range.begin(), width = range.end() - range.begin();
    std::vector<float> taps(L * width), window(L * width);  // [tap][channel], [age][channel] oldest first
    for (int64_t k = 0; k < L; ++k)
      for (int64_t c = 0; c < width; ++c) taps[k * width + c] = kernel[(c0 + c) * L + k];
    for (size_t s = 0; s < batch.inputs.size(); ++s) {
      std::vector<float>& state = batch.inputs[s].state->conv_[layer];  // [(L-1), H], oldest first
      const int64_t begin = batch.offsets[s], end = batch.offsets[s + 1];
      for (int64_t k = 0; k + 1 < L; ++k)
        std::copy_n(state.data() + k * H + c0, width, window.data() + k * width);
      float* newest = window.data() + (L - 1) * width;
      for (int64_t t = begin; t < end; ++t) {
        const float* b_gate = bcx.data() + t * 3 * H + c0;
        const float* c_gate = b_gate + H;
        const float* x_in = b_gate + 2 * H;
        for (int64_t c = 0; c < width; ++c) newest[c] = b_gate[c] * x_in[c];  // v = B ⊙ x
        float* y_row = y.data() + t * H + c0;
        for (int64_t c = 0; c < width; ++c) y_row[c] = kernel_bias ? kernel_bias[c0 + c] : 0.0f;
        for (int64_t k = 0; k < L; ++k) {
          const float* tap = taps.data() + k * width;
          const float* v = window.data() + k * width;
          for (int64_t c = 0; c < width; ++c) y_row[c] += tap[c] * v[c];
        }
        for (int64_t c = 0; c < width; ++c) y_row[c] *= c_gate[c];  // C ⊙ conv(v)
        std::copy(window.begin() + width, window.end(), window.begin());
      }
      for (int64_t k = 0; k + 1 < L; ++k)
        std::copy_n(window.data() + k * width, width, state.data() + k * H + c0);
    }
  });
  MatMulTransposed(y.data(), rows, H, w.out_proj, out);
  if (!w.out_proj_bias.empty()) AddBiasRows(out, rows, H, w.out_proj_bias.data());
}

void Lfm2Model::AttentionLayer(int layer, Batch& batch, const float* normed, float* out) const {
  const AttentionWeights& w = weights_.layers[layer].attention;
  const int64_t H = config_.hidden_size, rows = batch.rows;
  const int64_t d = config_.head_dim, n_heads = config_.num_heads, n_kv = config_.num_kv_heads;
  const int64_t q_width = n_heads * d, kv_width = n_kv * d, half = d / 2;
  ScratchFloats q(rows * q_width), k(rows * kv_width), v(rows * kv_width);
  MatMulTransposed(normed, rows, H, w.q_proj, q.data());
  MatMulTransposed(normed, rows, H, w.k_proj, k.data());
  MatMulTransposed(normed, rows, H, w.v_proj, v.data());

  // Per-head RMSNorm on q and k, then rotate-half RoPE at each token's position.
  std::vector<int64_t> positions(rows);
  for (size_t s = 0; s < batch.inputs.size(); ++s) {
    for (int64_t t = batch.offsets[s]; t < batch.offsets[s + 1]; ++t) {
      positions[t] = batch.inputs[s].state->position_ + (t - batch.offsets[s]);
    }
  }
  tbb::parallel_for(int64_t{0}, rows, [&](int64_t t) {
    std::vector<float> cos_table(half), sin_table(half);
    for (int64_t j = 0; j < half; ++j) {
      const float angle = static_cast<float>(positions[t]) * rope_inv_freq_[j];
      cos_table[j] = std::cos(angle);
      sin_table[j] = std::sin(angle);
    }
    auto norm_and_rotate = [&](float* head, const float* norm_weight) {
      RmsNormRows(head, 1, d, norm_weight, config_.norm_eps, head);
      for (int64_t j = 0; j < half; ++j) {
        const float a = head[j], b = head[j + half];
        head[j] = a * cos_table[j] - b * sin_table[j];
        head[j + half] = b * cos_table[j] + a * sin_table[j];
      }
    };
    for (int64_t hh = 0; hh < n_heads; ++hh) norm_and_rotate(q.data() + t * q_width + hh * d, w.q_norm.data());
    for (int64_t g = 0; g < n_kv; ++g) norm_and_rotate(k.data() + t * kv_width + g * d, w.k_norm.data());
  });

  // Append the new keys and values to each sequence's cache.
  for (size_t s = 0; s < batch.inputs.size(); ++s) {
    SequenceState& state = *batch.inputs[s].state;
    KvCache& cache = state.kv_[layer];
    const int64_t begin = batch.offsets[s], end = batch.offsets[s + 1];
    cache.keys.insert(cache.keys.end(), k.data() + begin * kv_width, k.data() + end * kv_width);
    cache.values.insert(cache.values.end(), v.data() + begin * kv_width, v.data() + end * kv_width);
  }
  // The key mask is shared by all attention layers; extend it once per call.
  if (layer == first_attention_layer_) {
    for (size_t s = 0; s < batch.inputs.size(); ++s) {
      SequenceState& state = *batch.inputs[s].state;
      state.key_valid_.insert(state.key_valid_.end(), batch.mask.begin() + batch.offsets[s],
                              batch.mask.begin() + batch.offsets[s + 1]);
    }
  }

  // Scores and weighted values per (sequence, head, block of queries); a block
  // of 128 queries bounds the score matrix to 128 x positions.
  constexpr int64_t kQueryBlock = 128;
  struct Task {
    int64_t sequence, head, first_row, num_rows;
  };
  std::vector<Task> tasks;
  for (size_t s = 0; s < batch.inputs.size(); ++s) {
    for (int64_t hh = 0; hh < n_heads; ++hh) {
      for (int64_t r = batch.offsets[s]; r < batch.offsets[s + 1]; r += kQueryBlock) {
        tasks.push_back({static_cast<int64_t>(s), hh, r, std::min(kQueryBlock, batch.offsets[s + 1] - r)});
      }
    }
  }
  ScratchFloats attended(rows * q_width);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t group = n_heads / n_kv;
  tbb::parallel_for(size_t{0}, tasks.size(), [&](size_t task_index) {
    const Task& task = tasks[task_index];
    const SequenceState& state = *batch.inputs[task.sequence].state;
    const KvCache& cache = state.kv_[layer];
    const int64_t first_position = positions[task.first_row];
    // Causality: the last query of the block sees positions up to its own.
    const int64_t visible = first_position + task.num_rows;
    const int64_t kv_head = task.head / group;
    std::vector<float> scores(task.num_rows * visible);
    const float* q_block = q.data() + task.first_row * q_width + task.head * d;
    const float* keys = cache.keys.data() + kv_head * d;
    const float* values = cache.values.data() + kv_head * d;
    MatMulRowsTransposed(q_block, task.num_rows, d, q_width, keys, visible, kv_width, scores.data());
    for (int64_t i = 0; i < task.num_rows; ++i) {
      float* row = scores.data() + i * visible;
      const int64_t own = first_position + i;
      for (int64_t j = 0; j < visible; ++j) {
        row[j] = (j <= own && state.key_valid_[j]) ? row[j] * scale
                                                  : -std::numeric_limits<float>::infinity();
      }
      SoftmaxRow(row, visible);
    }
    float* out_block = attended.data() + task.first_row * q_width + task.head * d;
    MatMulRows(scores.data(), task.num_rows, visible, visible, values, d, kv_width, out_block, q_width);
  });
  MatMulTransposed(attended.data(), rows, q_width, w.out_proj, out);
}

void Lfm2Model::DenseFeedForward(const FeedForwardWeights& w, int64_t ffn_size, const float* normed,
                                 int64_t rows, float* out, bool accumulate) const {
  const int64_t H = config_.hidden_size;
  ScratchFloats gate(rows * ffn_size), up(rows * ffn_size);
  MatMulTransposed(normed, rows, H, w.w1, gate.data());
  MatMulTransposed(normed, rows, H, w.w3, up.data());
  SiluMul(gate.data(), up.data(), rows * ffn_size);
  MatMulTransposed(gate.data(), rows, ffn_size, w.w2, out, accumulate);
}

void Lfm2Model::MoeFeedForward(const MoeWeights& w, const float* normed, int64_t rows,
                               float* out) const {
  const MoeConfig& m = *config_.moe;
  const int64_t H = config_.hidden_size, E = m.num_experts, top_k = m.num_experts_per_token;
  std::vector<float> scores(rows * E);
  MatMulTransposed(normed, rows, H, w.router, scores.data());
  for (float& s : scores) s = 1.0f / (1.0f + std::exp(-s));  // sigmoid, not softmax

  // Route: pick experts by score (+ bias when configured), weight by the unbiased score.
  std::vector<std::vector<std::pair<int64_t, float>>> assigned(E);  // expert -> (row, weight)
  std::vector<int64_t> order(E);
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = scores.data() + r * E;
    std::vector<float> selection(s, s + E);
    if (!w.expert_bias.empty()) {
      for (int64_t e = 0; e < E; ++e) selection[e] += w.expert_bias.data()[e];
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(), [&](int64_t a, int64_t b) {
      return selection[a] > selection[b] || (selection[a] == selection[b] && a < b);
    });
    float total = 0.0f;
    for (int64_t i = 0; i < top_k; ++i) total += s[order[i]];
    for (int64_t i = 0; i < top_k; ++i) {
      float weight = s[order[i]];
      if (m.normalize_top_k) weight /= (total + 1e-6f);
      weight *= m.routed_scaling_factor;
      assigned[order[i]].emplace_back(r, weight);
    }
  }
  // Each expert runs on the rows routed to it; results are added in expert order.
  const int64_t ff = m.expert_ffn_size;
  for (int64_t e = 0; e < E; ++e) {
    const auto& routed = assigned[e];
    if (routed.empty()) continue;
    const int64_t n = static_cast<int64_t>(routed.size());
    std::vector<float> gathered(n * H), expert_out(n * H);
    for (int64_t i = 0; i < n; ++i) {
      std::copy(normed + routed[i].first * H, normed + (routed[i].first + 1) * H, gathered.data() + i * H);
    }
    DenseFeedForward(w.experts[e], ff, gathered.data(), n, expert_out.data(), /*accumulate=*/false);
    for (int64_t i = 0; i < n; ++i) {
      float* dst = out + routed[i].first * H;
      const float* src = expert_out.data() + i * H;
      const float weight = routed[i].second;
      for (int64_t j = 0; j < H; ++j) dst[j] += src[j] * weight;
    }
  }
}

}  // namespace lateral

// The LFM2 / LFM2-MoE forward pass on the CPU.
//
// Lfm2Model owns a checkpoint's weights and runs one code path for every use:
// a batch of sequences, each with its own SequenceState, each adding one or
// more new tokens. Prefill is a fresh state with the whole prompt; cached
// decode is the same call with one token; document encoding is prefill of
// many sequences at once. Tokens of all sequences share each matrix product,
// while convolution and attention stay within each sequence, so sequences of
// different lengths batch without padding. More than kRowsPerPass tokens run
// as several passes (whole short sequences together, long ones in pieces),
// which callers see only through the observer.
//
// Thread-safe for concurrent Forward calls on distinct states.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "encoder/kernels/precision.h"
#include "encoder/model/model_config.h"
#include "encoder/model/model_weights.h"
#include "encoder/model/screened_head.h"
#include "encoder/model/sequence_state.h"

namespace lateral {

// One sequence's share of a Forward call.
struct SequenceInput {
  SequenceState* state = nullptr;   // updated in place
  absl::Span<const int32_t> ids;    // new tokens, at least one
  // Attention mask of the new tokens (1 = real, 0 = masked: not attended to,
  // zeroed on entry to conv layers, but still computed). Empty = all ones.
  absl::Span<const uint8_t> mask;
};

// Called with the residual stream of the new tokens of one pass (the whole
// batch, unless Forward split it into passes: then once per pass, in order):
// layer -1 after the embedding lookup, 0..n-1 after each layer, and
// num_layers after the final norm. For debugging tools.
using LayerObserver =
    std::function<void(int layer, const float* rows, int64_t num_rows, int64_t width)>;

struct ForwardOptions {
  bool return_hidden_states = true;  // final-normed states of every new token
  bool return_last_logits = false;   // logits of each sequence's last new token
  LayerObserver observer;            // optional
  // With last logits and a bf16 LM head: compute exactly only the logits the
  // screen says matter, the rest -inf (screened_head.h). Ignored otherwise
  // (f32 and int8 heads return every logit).
  const LogitsScreen* screen = nullptr;
};

struct ForwardResult {
  std::vector<float> hidden_states;  // [total new tokens, hidden]
  std::vector<int64_t> row_offsets;  // sequence i owns rows [row_offsets[i], row_offsets[i+1])
  std::vector<float> last_logits;    // [batch, vocab]
};

// How RoPE inverse frequencies are held. transformers computes them in
// float32, but a model cast as a whole to bfloat16 (`model.to(torch.bfloat16)`,
// as the reference fixtures and many bf16 pipelines do) rounds that buffer to
// bfloat16 too, and casting back does not restore it. The two differ by about
// 1e-3 relative in hidden states at position 300; tests/data pins both.
enum class RopeFrequencies {
  kBf16Rounded,  // as Lfm2ForCausalLM after a cast to bf16 (the causal-LM fixtures)
  kFloat32,      // as a model loaded directly in float32 (the PyLate ColBERT fixture)
};

struct ModelLoadOptions {
  RopeFrequencies rope_frequencies = RopeFrequencies::kBf16Rounded;
  // Storage of the large matrices (encoder/kernels/precision.h); unset picks
  // DefaultPrecision(checkpoint): bf16 for bf16 checkpoints on CPUs with
  // AVX512_BF16, else f32. Parse user input with ParsePrecision.
  std::optional<Precision> precision;
};

class Lfm2Model {
 public:
  // Loads DIR/config.json and the safetensors weights of DIR.
  static absl::StatusOr<std::unique_ptr<Lfm2Model>> Load(const std::string& model_dir,
                                                         const ModelLoadOptions& options = {});
  static std::unique_ptr<Lfm2Model> FromParts(ModelConfig config, ModelWeights weights,
                                              const ModelLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  // The precision the weights were loaded in (the default resolved).
  Precision precision() const { return weights_.precision; }
  // False for encoder trunks that ship no LM head and do not tie one.
  bool has_lm_head() const { return !weights_.lm_head.empty() || config_.tie_word_embeddings; }

  SequenceState NewState() const { return SequenceState(config_); }

  // Forward runs at most this many tokens per pass: many sequences are
  // grouped into passes of whole sequences, and a long one runs as
  // consecutive pieces. One pass over 64 documents of 256 tokens streamed
  // each matrix product's activations (hundreds of MB) from memory once per
  // weight panel and encoded at about half the rate of 256-token passes,
  // whose activations stay in cache (benchmarks/RESULTS.md, issue 5).
  static constexpr int64_t kRowsPerPass = 256;

  absl::StatusOr<ForwardResult> Forward(absl::Span<const SequenceInput> batch,
                                        const ForwardOptions& options) const;

 private:
  Lfm2Model(ModelConfig config, ModelWeights weights, ModelLoadOptions options);

  struct Batch;  // per-call bookkeeping, defined in the .cc
  absl::Status CheckInputs(absl::Span<const SequenceInput> inputs, const ForwardOptions& options) const;
  // One pass over inputs CheckInputs accepted. With last logits asked for,
  // `logits_wanted` (one flag per input; empty = all) says whose are
  // computed; the others' stay zero.
  ForwardResult ForwardPass(absl::Span<const SequenceInput> inputs, const ForwardOptions& options,
                            absl::Span<const uint8_t> logits_wanted) const;
  void ShortConvLayer(int layer, Batch& batch, const float* normed, float* out) const;
  void AttentionLayer(int layer, Batch& batch, const float* normed, float* out) const;
  void DenseFeedForward(const FeedForwardWeights& w, int64_t ffn_size, const float* normed,
                        int64_t rows, float* out, bool accumulate) const;
  void MoeFeedForward(const MoeWeights& w, const float* normed, int64_t rows, float* out) const;

  // The int8 screen of a bf16 LM head, made on the first screened call (an
  // encoder or an unscreened caller never pays its load time or memory).
  const ScreenedHead& screened_head() const;

  ModelConfig config_;
  ModelWeights weights_;
  ModelLoadOptions options_;
  mutable std::once_flag screened_head_once_;
  mutable std::unique_ptr<ScreenedHead> screened_head_;
  std::vector<float> rope_inv_freq_;  // [head_dim / 2]
  int first_attention_layer_ = -1;    // extends the shared key mask
};

}  // namespace lateral

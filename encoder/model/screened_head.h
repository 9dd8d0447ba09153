// The LM head of a bf16 model, computed exactly only where a sampler looks.
//
// Decode reads the whole output embedding for every token: 128 of the ~740
// MB a token reads on the LFM2-350M shape in bf16. A ScreenedHead keeps an
// int8 copy of it (half the bytes), computes every logit from that copy with
// a proven error bound, and recomputes from the bf16 rows -- as the full head
// does, up to float summation order -- only the tokens whose upper bound
// reaches within `margin` of the best token's lower bound, plus every history
// token (the repetition penalty changes those). All other tokens come back as
// -inf. A sampler whose choice depends only on tokens within `margin` of the
// best penalised logit (greedy and argmax: 0; min-p: T·|ln min_p|, see
// Sampler::ScreenFor) therefore chooses what it would from the full logits.
//
// The bound for token j, with x the hidden row (k values), ŵ_j = s_j·q_j the
// int8 row, x̂ = s_x·q_x the row as the int8 product rounds it, and
// Cauchy-Schwarz on each rounding:
//   |approx_j − exact_j| <= (||x||·||w_j − ŵ_j|| + ||x − x̂||·||ŵ_j|| + γ_k·||x||·||w_j||)·(1 + 1e-5)
//                           + 2^-21·|approx_j|
// (Euclidean norms; the row norms are computed at build time, x's per call;
// γ_k = k·2^-24 / (1 − k·2^-24) bounds the float summation error of the bf16
// product, and the last term the dequantising multiplies' rounding). An
// L1 / max-error form (||x||₁·s_j/2 + ...) was 1.4x wider per side and left
// about 10% of a random 1.2B shape's vocabulary to recompute.
// Immutable after Build; thread-safe. Owned by Lfm2Model, built on first use.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/model/weight_tensor.h"

namespace lateral {

// What a sampler needs of the next-token logits (ForwardOptions::screen).
struct LogitsScreen {
  // Tokens whose penalised logit is more than `margin` below the best
  // penalised logit may come back as -inf; every other logit is exact.
  float margin = 0.0f;
  // Tokens the repetition penalty touches (duplicates and out-of-range ids
  // are ignored); always computed exactly. Unused when the penalty is 1.
  absl::Span<const int32_t> history;
  float repetition_penalty = 1.0f;
};

class ScreenedHead {
 public:
  // `head` must hold a bf16 form ([vocab, hidden]); it must outlive the result.
  static std::unique_ptr<ScreenedHead> Build(const WeightTensor& head);

  // logits[vocab] for one hidden row x[hidden], as described above. Returns
  // the number of tokens computed exactly. A row with a non-finite value
  // gets the full bf16 head (every logit exact).
  int64_t Logits(const float* x, const LogitsScreen& screen, float* logits) const;

  // The int8 copy's logits for x (one activation part), and the bound above
  // for each: what Logits screens with. For tests of the bound itself.
  void ApproximateLogits(const float* x, float* approx) const;
  void ErrorBounds(const float* x, const float* approx, float* bounds) const;

 private:
  explicit ScreenedHead(const WeightTensor& head) : head_(head) {}
  // x's factors of the bound (above), and the bound itself for token j.
  struct BoundFactors {
    float x_norm = 0, dx_norm = 0, gamma_x_norm = 0;
    bool finite = false;
  };
  BoundFactors FactorsFor(const float* x) const;
  float Bound(const BoundFactors& f, int64_t j, float approx) const {
    return f.x_norm * rounding_norm_[j] + f.dx_norm * quantised_norm_[j] + f.gamma_x_norm * weight_norm_[j] +
           0x1p-21f * std::fabs(approx);
  }
  // Exact logits of the tokens `ids` into out[i] (the bf16 rows gathered).
  void ExactRows(const float* x, absl::Span<const int32_t> ids, float* out) const;

  const WeightTensor& head_;
  kernels::Int8Matrix q_;
  std::vector<float> rounding_norm_;   // ||w_j − ŵ_j||
  std::vector<float> quantised_norm_;  // ||ŵ_j||
  std::vector<float> weight_norm_;     // ||w_j||
};

}  // namespace lateral

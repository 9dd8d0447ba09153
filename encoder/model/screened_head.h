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
// The bound for token j, with x the hidden row (k values), s_j and q_j the
// int8 row's scale and values (round to nearest: |w − s_j·q| <= s_j/2),
// A_j = Σ_t |q_jt|, and s_x the scale of x's own int8 rounding:
//   |approx_j − exact_j| <= s_j·(||x||₁·(1/2 + 254·γ_k) + s_x/2·A_j)·(1 + 1e-5) + 2^-21·|approx_j|
// (weight rounding, activation rounding, and twice the float summation error
// γ_k = k·2^-24 / (1 − k·2^-24) of a k-term product against |w| <= 127·s_j;
// the last term is the dequantising multiplies' rounding).
// Immutable after Build; thread-safe. Owned by Lfm2Model, built on first use.
#pragma once

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
  // The bound's per-row factors for x: bound_j = s_j·weight + s_j·A_j·act + 2^-21·|approx_j|.
  struct BoundFactors {
    float weight = 0, act = 0;
    bool finite = false;
  };
  BoundFactors FactorsFor(const float* x) const;
  // Exact logits of the tokens `ids` into out[i] (the bf16 rows gathered).
  void ExactRows(const float* x, absl::Span<const int32_t> ids, float* out) const;

  const WeightTensor& head_;
  kernels::Int8Matrix q_;
  std::vector<float> scale_;          // s_j
  std::vector<float> scale_abs_sum_;  // s_j · A_j
};

}  // namespace lateral

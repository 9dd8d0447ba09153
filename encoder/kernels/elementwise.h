// Elementwise functions of the forward pass (exp, SiLU gating, softmax) at
// an instruction-set tier, so prefill and encoding do not spend a sixth of
// their time in scalar libm exp calls.
//
//   kPortable: std::exp, the oracle the vector tiers are tested against.
//   kAvx2:     8 lanes, kAvx512 / kAmx: 16 lanes. exp(x) = 2^n · e^r with
//              r = x − n·ln2 (ln2 split in two parts, |r| <= ln2/2) and a
//              degree-7 polynomial for e^r: within 2 ulp of std::exp wherever
//              the result is a normal float; results below FLT_MIN may be
//              flushed towards zero (exp(−inf) is exactly 0, as a softmax over
//              masked positions needs). Overflow gives +inf, NaN stays NaN.
// Softmax sums in vector lanes (a different order from the scalar loop), so
// tiers agree to rounding, not bit for bit. Stateless and thread-safe; callers
// (encoder/model/tensor_ops.cc) choose the parallelism.
#pragma once

#include <cstdint>

#include "encoder/kernels/kernel_tier.h"

namespace lateral::kernels {

// out[i] = exp(x[i]) for n values (out may equal x).
void Exp(Tier tier, const float* x, int64_t n, float* out);

// gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + exp(−gate[i])) · up[i].
void SiluMul(Tier tier, float* gate, const float* up, int64_t n);

// row = softmax(row) over n values; a row with no finite maximum (every value
// −inf: nothing to attend to) becomes all zeros.
void Softmax(Tier tier, float* row, int64_t n);

// Σ x[i]² in double precision (RMSNorm's statistic). The vector tiers sum
// in 16 lanes, so the result differs from the sequential sum by rounding of
// the double additions only (relative 1e-15, far below a float's ulp).
double SumOfSquares(Tier tier, const float* x, int64_t n);

}  // namespace lateral::kernels

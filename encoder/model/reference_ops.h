// Slow, obvious versions of the kernels in tensor_ops.h: the oracles that the
// fast paths are tested and benchmarked against. Never used on a hot path.
#pragma once

#include <cstdint>

namespace lateral::reference {

// y[m, n] = x[m, k] · w[n, k]ᵀ, accumulated in double.
void MatMulTransposed(const float* x, int64_t m, int64_t k, const float* w, int64_t n, float* y);

// RMSNorm of each row, accumulated in double.
void RmsNormRows(const float* x, int64_t rows, int64_t cols, const float* weight, float eps, float* out);

}  // namespace lateral::reference

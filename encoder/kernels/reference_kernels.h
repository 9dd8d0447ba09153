// Scalar oracles for the encoder's kernels: the plainest loops, accumulated in
// double, used by tests (tests/kernels) to check every tier. Not for production
// use (no threading, no blocking). y is [m, n] with rows n apart.
#pragma once

#include <cstdint>

#include "encoder/kernels/bf16_gemm.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/q4_gemm.h"

namespace lateral::kernels {

// y = x · wᵀ with x and w float32, in double.
void ReferenceF32Gemm(const float* x, int64_t m, int64_t k, const float* w, int64_t n, float* y);
// y = a(x) · wᵀ with w bf16 bits, products summed in double, where a(x) is
// the activation form of `mode` (bf16_gemm.h): x, bf16(x), or hi + lo.
void ReferenceBf16Gemm(const float* x, int64_t m, int64_t k, const uint16_t* w, int64_t n, float* y,
                       Bf16Activations mode);
// The int8 product as Int8Gemm defines it for `mode`, with 64-bit integer sums.
void ReferenceInt8Gemm(const float* x, int64_t m, int64_t k, const Int8Matrix& w, float* y, Int8Activations mode);
// The q4 product as Q4Gemm defines it for m rows (q4_gemm.h): int8 activations
// and exact per-group integer sums for m <= kGemvRows, exact activations
// against the dequantised weights above; summed in double. `magnitude`
// (optional, [m, n]) receives the sum of the absolute values of the summed
// terms, the scale of any summation-order difference.
void ReferenceQ4Gemm(const float* x, int64_t m, int64_t k, const Q4Matrix& w, float* y, float* magnitude = nullptr);

}  // namespace lateral::kernels

// bf16 matrix products for weights kept as shipped in bf16 checkpoints.
//
//   kF32:     y[i, j] = Σ_t x[i, t] · w[j, t]                    (+ y[i, j] when accumulate)
//   kRounded: y[i, j] = Σ_t bf16(x[i, t]) · w[j, t]
//   kSplit:   y[i, j] = Σ_t (hi[i, t] + lo[i, t]) · w[j, t],  hi = bf16(x), lo = bf16(x - hi)
//
// kF32 (the default) widens the weights in registers (a shift or a mask per 16
// values) and uses f32 FMA: activations stay exact, and on CPUs whose
// vdpbf16ps issues once per cycle (Intel Sapphire Rapids: the same multiply-adds
// per cycle as two f32 FMA ports) it is as fast as kRounded. With 16 or more
// activation rows (prefill), kF32 widens panels of 256 weight rows into a
// per-thread f32 buffer and runs OpenBLAS sgemm on them, which is faster still
// (no f32 copy of the model is kept).
// x is float32 [m, k] (rows ldx apart), rounded to bf16 (nearest even) once per
// call. kRounded errs by up to 2^-9 relative per activation, which compounds
// through a model's layers (per-token cosine about 0.9997 against f32 on the
// tiny fixtures); kSplit carries x to 2^-17 (cosine > 0.99999) at twice the
// vdpbf16ps work. Decode is bound by reading the weights, so there all three
// cost the same. w is bf16 bits [n, k] (rows ldw apart, PyTorch [out, in] layout, read
// in place: no packing, so memory-mapped weights stream directly); products
// are exact in f32 and accumulate in f32. Every tier computes this same
// function, differing only in summation order:
//   kAvx512: vdpbf16ps (kRounded, kSplit) or widened f32 FMA (kF32), 4x4 / 2x8
//            register tiles, 16-lane accumulators along k.
//   kAmx:    kF32 with 16+ activation rows and k % 32 == 0: AMX-BF16 tiles on
//            activations split into two bf16 parts (hi + mid, as kSplit: within
//            2^-17 relative of x); the rest as kAvx512.
//   kAvx2:   bf16 widened to f32 in registers, FMA 4x3 tiles (kF32 with
//            m >= 16: widened panels through sgemm, as in kAvx512).
//   kPortable: scalar.
// Threads: oneTBB on the caller's arena (see kernel_util.h); m <= 8 is the
// decode path, which reads each weight row once. Callers: WeightTensor-based
// MatMulTransposed (encoder/model/tensor_ops.cc), tests, benchmarks.
#pragma once

#include <cstdint>

#include "encoder/kernels/kernel_tier.h"

namespace lateral::kernels {

enum class Bf16Activations { kF32, kRounded, kSplit };

// The mode MatMulTransposed uses: kF32 unless LATERAL_BF16_ACTIVATIONS is
// "rounded" or "split" (read once; for benchmarks comparing them).
Bf16Activations DefaultBf16Activations();

void Bf16Gemm(Tier tier, Bf16Activations mode, const float* x, int64_t m, int64_t k, int64_t ldx,
              const uint16_t* w, int64_t n, int64_t ldw, float* y, int64_t ldy, bool accumulate);

inline void Bf16Gemm(const float* x, int64_t m, int64_t k, int64_t ldx, const uint16_t* w, int64_t n,
                     int64_t ldw, float* y, int64_t ldy, bool accumulate) {
  Bf16Gemm(ActiveTier(), DefaultBf16Activations(), x, m, k, ldx, w, n, ldw, y, ldy, accumulate);
}

// out[i] = bf16 bits of x[i] (round to nearest even), for n values.
void RoundToBf16(Tier tier, const float* x, int64_t n, uint16_t* out);

}  // namespace lateral::kernels

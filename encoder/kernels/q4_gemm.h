// 4-bit group-quantised weights ("q4"): weights [n, k] quantised along k in
// groups of 32, made at load time, and their matrix products.
//
// Format. Group g of row j holds q[j, t] in [-8, 7] and one scale s[j, g]
// stored as bf16 bits; the dequantised weight is exactly s · q. 16 bytes of
// nibbles + 2 bytes of scale per 32 weights: 4.5 bits per weight. Rows are
// zero-padded to a multiple of 128 columns (padding: q = 0, and scale 0 for
// whole padding groups). A row is one record of row_bytes: its nibbles, then
// its scales, padded to a multiple of 64 bytes, and the records follow each
// other, so a GEMV over consecutive rows reads one sequential stream (with
// nibbles and scales in separate arrays BM_QuantDecode streamed up to 6%
// slower). Group g's 32 weights are 16 bytes at 16g: byte r holds
// q + 8 of weight 32g + r in its low nibble and of weight 32g + 16 + r in its
// high nibble. A 64-byte load (4 groups) splits with one AND and one shift
// into two vectors of unsigned nibbles in which every 4-byte lane belongs to
// one group in both, so vpdpbusd can add both halves into one int32 per lane
// and one conversion and one FMA per 64 bytes apply the group scales (the
// activations are reordered once per call to match; with the low and high
// nibbles 64 weights apart, decode needed twice the conversions and FMAs and
// BM_QuantDecode streamed 4-13% slower).
//
// Scales. Every stored scale has at most 5 significant bits (bf16 with its 3
// lowest mantissa bits zero), so s · q (|q| <= 8: at most 3 significant bits)
// is exact in bf16 as well as f32: the prefill paths can dequantise to bf16
// and reuse the AMX-BF16 blocks of bf16_gemm.cc without rounding the weights
// again. Each group's scale is the candidate on that grid with the least squared
// rounding error among: the grid values from the smallest scale that clips no
// weight (max(max_pos / 7.5, max_neg / 8.5), rounded up onto the grid) to
// amax / 6.5, plus amax / 7 rounded to the grid ("naive"). No candidate clips, so
// every weight satisfies |w - s·q| <= s / 2, and the chosen error is never
// above the naive one. On Gaussian weights (Q4GemmTest.ScaleSearchBeatsAmaxOver7,
// 20,000 groups) the search gives 9.6% lower rms error than the naive
// amax / 7 scale on the same grid and 9.5% lower than an unrounded f32
// amax / 7 scale (the grid itself costs 0.1%). A group with
// a NaN or infinity gets a NaN scale (and q = 0), so every output that depends
// on it is NaN, never silently finite (int8_gemm.h's rule, per group). A group
// whose largest magnitude is below 2^-100 is stored as zeros. The search's
// errors are summed exactly the same way at every tier (AVX-512 evaluates 8
// or 16 candidates in lanes), so quantisation gives the same bytes everywhere.
//
// Products (y = x · wᵀ, + y when accumulate), by the number of activation rows m:
//   m <= kGemvRows (decode): activations quantised to int8 per row exactly as
//     QuantizeActivationRow (int8_gemm.h), then per group an exact int32 dot
//     product D[i, j, g] = Σ_t qx[i, t] · q[j, t], and
//       y[i, j] = xs[i] · Σ_g float(D[i, j, g]) · s[j, g]
//     with the group sum in f32. Tiers differ only in the order of that f32 sum:
//     kAvx512 (and kAmx): vpdpbusd on the unsigned nibbles (q + 8) against the
//       int8 activations, the + 8 removed exactly by starting each int32 lane
//       at -8 · Σ of its 8 activations; 16-lane f32 accumulators. Every
//       lane sum times its scale is exact in f32 (|sum| < 2^14, 5-bit scale).
//     kAvx2: vpmaddubsw + vpmaddwd, the same offset removal; 8-lane accumulators.
//     kPortable: scalar, groups in order (the oracle's order).
//     Each weight byte is read once per call; threads split the weight rows.
//   m > kGemvRows (prefill, document encoding): activations exact,
//       y[i, j] = Σ_t x[i, t] · (s · q)[j, t]
//     kAmx: each task's weight rows (up to 1 MB of bf16) dequantised to bf16
//       (exact) once into a per-thread buffer and multiplied on AMX-BF16
//       tiles with activations split in two bf16 parts, as bf16_gemm.h's kAmx
//       path (within 2^-17 of x relative); 16+ rows (9-15 go through sgemm).
//     kAvx512 / kAvx2: panels of 256 rows dequantised to f32 per thread, then
//       OpenBLAS sgemm (as bf16's widened panels).
//     kPortable: scalar.
// Callers: MatMulTransposed for q4 WeightTensors (encoder/model/tensor_ops.cc),
// tests, benchmarks. Thread-safe; threads run on the caller's TBB arena.
#pragma once

#include <cstdint>
#include <vector>

#include "encoder/kernels/kernel_tier.h"

namespace lateral::kernels {

struct Q4Matrix {
  static constexpr int64_t kGroup = 32;   // weights per scale
  static constexpr int64_t kBlock = 128;  // weights per 64-byte nibble block
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;             // RoundUp(cols, 128): padded columns
  int64_t groups = 0;             // stride / 32
  int64_t row_bytes = 0;          // RoundUp(stride / 2 + 2 * groups, 64)
  std::vector<uint8_t> data;      // rows records (+ 64 bytes of alignment slack)

  // The records start at the first 64-byte boundary of data (recomputed, so
  // copies of the matrix stay valid).
  const uint8_t* base() const {
    return data.data() + (64 - reinterpret_cast<uintptr_t>(data.data()) % 64) % 64;
  }
  uint8_t* mutable_base() { return const_cast<uint8_t*>(base()); }
  const uint8_t* row_nibbles(int64_t j) const { return base() + j * row_bytes; }
  // Row j's scales as bf16 bits (2-byte aligned).
  const uint16_t* row_scales(int64_t j) const {
    return reinterpret_cast<const uint16_t*>(row_nibbles(j) + stride / 2);
  }
  // q[j, t] in [-8, 7] (0 in the padding).
  int Value(int64_t j, int64_t t) const;
  float Scale(int64_t j, int64_t g) const;
  // s · q, exactly.
  float Dequantised(int64_t j, int64_t t) const { return Scale(j, t / kGroup) * static_cast<float>(Value(j, t)); }
  // Writes row j's cols() dequantised values.
  void RowToFloat(int64_t j, float* out) const;
  // Bytes one product streams: the records, padding included.
  int64_t Bytes() const { return rows * row_bytes; }
};

// Quantises w [rows, cols] (rows ld apart) given as float32 or bf16 bits, rows
// in parallel. Deterministic: the same input gives the same bytes at every tier.
Q4Matrix QuantizeQ4(const float* w, int64_t rows, int64_t cols, int64_t ld);
Q4Matrix QuantizeQ4Bf16(const uint16_t* w, int64_t rows, int64_t cols, int64_t ld);

// One group's quantisation (exposed for tests): the chosen scale's bf16 bits
// and q[0, count) for count <= 32 values (the rest of a group is padding).
// With naive = true, the scale is amax / 7 rounded to the scale grid instead
// of the searched one.
uint16_t QuantizeQ4Group(const float* w, int64_t count, int8_t* q, bool naive = false);

void Q4Gemm(Tier tier, const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y,
            int64_t ldy, bool accumulate);

inline void Q4Gemm(const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y, int64_t ldy,
                   bool accumulate) {
  Q4Gemm(ActiveTier(), x, m, k, ldx, w, y, ldy, accumulate);
}

}  // namespace lateral::kernels

// int8 matrix products: weights quantised per output channel at load time,
// activations per row on the fly.
//
// Weights: row j holds q[j, t] = round(w[j, t] / s_j), s_j = max_t |w[j, t]| / 127,
// q in [-127, 127], rows zero-padded to a multiple of 64. Activations: the same
// per row of x (s_i, q in [-127, 127]; rounding to nearest even; a zero row
// gets scale 0). The product is
//   y[i, j] = float(Σ_t qx[i, t] · qw[j, t]) · s_i · s_j      (+ y when accumulate)
// with the integer sum exact in every tier, so all tiers return identical
// floats (when not accumulating):
//   kAvx512: vpdpbusd (u8 x s8) on qx + 128, minus 128 · Σ_t qw[j, t].
//   kAmx:    (16+ activation rows) AMX tdpbssd on 32 x 32 output blocks, the
//            weights read in place as A tiles, activations packed as B tiles;
//            with two parts, a block is 16 rows and their residuals, summed
//            as the tiles are stored (no second output buffer).
//   kAvx2:   vpmaddubsw on |qx| and sign-adjusted qw (no int16 saturation, since |q| <= 127).
//   kPortable: scalar.
// Threads as in bf16_gemm.h. Callers: MatMulTransposed for int8 WeightTensors.
#pragma once

#include <cstdint>
#include <vector>

#include "encoder/kernels/kernel_tier.h"

namespace lateral::kernels {

struct Int8Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;              // RoundUp(cols, 64)
  std::vector<int8_t> values;      // [RoundUp(rows, 32), stride], zero-padded
  std::vector<float> scales;       // [rows]
  std::vector<int32_t> row_sums;   // Σ_t values[j, t] (VNNI offset compensation)
};

// Quantises w [rows, cols] (rows ld apart) given as float32 or bf16 bits.
// Rows are processed in parallel. A row with a NaN or infinity gets a NaN scale,
// so the outputs that depend on it are NaN rather than silently finite.
Int8Matrix QuantizeInt8(const float* w, int64_t rows, int64_t cols, int64_t ld);
Int8Matrix QuantizeInt8Bf16(const uint16_t* w, int64_t rows, int64_t cols, int64_t ld);

// Per-row activation quantisation shared by every tier and the oracle:
// q [cols] (caller zero-fills any padding) and the row's scale.
float QuantizeActivationRow(const float* x, int64_t cols, int8_t* q);

// How activations are quantised. kOnePart: one int8 row per activation row,
// as above (about 1% relative error per product; on the random 350M shape
// per-token cosine 0.98 against f32 and 71% of MaxSim top-10 passages kept).
// kTwoParts: the row and what its quantisation missed, each quantised per
// row: y = Σ qx·qw·s_x·s_w + Σ qr·qw·s_r·s_w, with both integer sums exact,
// so the activations carry about 14 significant bits and the error left is
// the weights' (cosine 0.996, 87% of top-10 passages kept). Twice the integer
// work. kAuto (the default): two parts above kGemvRows rows (prefill and
// document encoding), one part for decode, which is bound by reading the
// weights and where the second part's work cost 10% of the speed (87% ->
// 72% of the bandwidth bound on the 350M shape). LATERAL_INT8_ACTIVATIONS=
// one|two forces either.
enum class Int8Activations { kOnePart, kTwoParts, kAuto };
Int8Activations DefaultInt8Activations();

void Int8Gemm(Tier tier, Int8Activations mode, const float* x, int64_t m, int64_t k, int64_t ldx,
              const Int8Matrix& w, float* y, int64_t ldy, bool accumulate);

inline void Int8Gemm(const float* x, int64_t m, int64_t k, int64_t ldx, const Int8Matrix& w, float* y,
                     int64_t ldy, bool accumulate) {
  Int8Gemm(ActiveTier(), DefaultInt8Activations(), x, m, k, ldx, w, y, ldy, accumulate);
}

}  // namespace lateral::kernels

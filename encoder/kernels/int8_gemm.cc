#include "encoder/kernels/int8_gemm.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "common/numeric_formats.h"
#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels {
namespace {

using internal::AlignedBuffer;
using internal::AmxTileConfig;
using internal::ForEachTask;
using internal::FullAmxTileConfig;
using internal::RoundUp;

// q = round-half-even(v * inv), clamped to [-127, 127]; NaN maps to 0 (the
// row's scale is NaN then, see QuantizeRow).
// Adding and subtracting 1.5 * 2^23 rounds to nearest even for |v| < 2^22 in
// the default rounding mode, without a libm call per element.
inline int8_t QuantizeValue(float v, float inv) {
  constexpr float kMagic = 12582912.0f;
  // Compiled for baseline x86-64 (no FMA), so v * inv is rounded before the add.
  float r = v * inv;
  if (std::fabs(r) < 4194304.0f) r = (r + kMagic) - kMagic;
  if (!(r >= -127.0f)) return r != r ? 0 : -127;
  if (r > 127.0f) return 127;
  return static_cast<int8_t>(r);
}

template <typename Load>
float QuantizeRow(int64_t cols, Load load, int8_t* q) {
  float amax = 0.0f;
  bool finite = true;
  for (int64_t t = 0; t < cols; ++t) {
    const float v = load(t);
    if (!std::isfinite(v)) finite = false;
    amax = std::max(amax, std::fabs(v));
  }
  if (!finite) {
    std::memset(q, 0, cols);
    return std::numeric_limits<float>::quiet_NaN();
  }
  if (amax == 0.0f) {
    std::memset(q, 0, cols);
    return 0.0f;
  }
  const float inv = 127.0f / amax;
  for (int64_t t = 0; t < cols; ++t) q[t] = QuantizeValue(load(t), inv);
  return amax / 127.0f;
}

// Quantises each row: row_fn(j, q) fills q[0, cols) of row j and returns its scale.
template <typename RowFn>
Int8Matrix Quantize(int64_t rows, int64_t cols, RowFn row_fn) {
  Int8Matrix out;
  out.rows = rows;
  out.cols = cols;
  out.stride = RoundUp(std::max<int64_t>(cols, 1), 64);
  // Rows padded with zeros to a multiple of 32: the AMX kernel loads whole
  // 16-row tiles in pairs.
  out.values.assign(RoundUp(std::max<int64_t>(rows, 1), 32) * out.stride, 0);
  out.scales.resize(rows);
  out.row_sums.resize(rows);
  internal::ForRowBlocks(rows, cols, [&](int64_t r0, int64_t r1) {
    for (int64_t j = r0; j < r1; ++j) {
      int8_t* q = out.values.data() + j * out.stride;
      out.scales[j] = row_fn(j, q);
      int32_t sum = 0;
      for (int64_t t = 0; t < cols; ++t) sum += q[t];
      out.row_sums[j] = sum;
    }
  });
  return out;
}

inline void StoreOut(float* y, bool accumulate, float v) { *y = accumulate ? *y + v : v; }

// ---------------------------------------------------------------- portable

void TilePortable(const int8_t* xq, int64_t ldq, const float* xs, const Int8Matrix& w, float* y, int64_t ldy,
                  bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; ++i) {
    const int8_t* a = xq + i * ldq;
    for (int64_t j = n0; j < n1; ++j) {
      const int8_t* b = w.values.data() + j * w.stride;
      int32_t dot = 0;
      for (int64_t t = 0; t < w.cols; ++t) dot += int32_t{a[t]} * int32_t{b[t]};
      StoreOut(y + i * ldy + j, accumulate, static_cast<float>(dot) * xs[i] * w.scales[j]);
    }
  }
}

// ---------------------------------------------------------------- AVX2

template <int MR, int NR>
LATERAL_KERNEL_AVX2 void MicroAvx2(const int8_t* xq, int64_t ldq, const float* xs, const Int8Matrix& w,
                                   int64_t j0, float* y, int64_t ldy, bool accumulate) {
  __m256i c[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i][j] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* wb = w.values.data() + j0 * w.stride;
  for (int64_t t = 0; t < w.stride; t += 32) {
    __m256i wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + j * w.stride + t));
    for (int i = 0; i < MR; ++i) {
      const __m256i xv = _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + i * ldq + t));
      const __m256i ax = _mm256_abs_epi8(xv);
      for (int j = 0; j < NR; ++j) {
        const __m256i p16 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(wv[j], xv));
        c[i][j] = _mm256_add_epi32(c[i][j], _mm256_madd_epi16(p16, ones));
      }
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      const int32_t dot = internal::HorizontalSum(c[i][j]);
      StoreOut(y + i * ldy + j, accumulate, static_cast<float>(dot) * xs[i] * w.scales[j0 + j]);
    }
  }
}

using MicroAvx2Fn = void (*)(const int8_t*, int64_t, const float*, const Int8Matrix&, int64_t, float*, int64_t,
                             bool);
constexpr MicroAvx2Fn kMicroAvx2[4][3] = {
    {MicroAvx2<1, 1>, MicroAvx2<1, 2>, MicroAvx2<1, 3>},
    {MicroAvx2<2, 1>, MicroAvx2<2, 2>, MicroAvx2<2, 3>},
    {MicroAvx2<3, 1>, MicroAvx2<3, 2>, MicroAvx2<3, 3>},
    {MicroAvx2<4, 1>, MicroAvx2<4, 2>, MicroAvx2<4, 3>},
};

void TileAvx2(const int8_t* xq, int64_t ldq, const float* xs, const Int8Matrix& w, float* y, int64_t ldy,
              bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; i += 4) {
    const int mr = static_cast<int>(std::min<int64_t>(4, m1 - i));
    for (int64_t j = n0; j < n1; j += 3) {
      const int nr = static_cast<int>(std::min<int64_t>(3, n1 - j));
      kMicroAvx2[mr - 1][nr - 1](xq + i * ldq, ldq, xs + i, w, j, y + i * ldy + j, ldy, accumulate);
    }
  }
}

// ---------------------------------------------------------------- AVX-512 VNNI

// QuantizeActivationRow vectorised, bit-identical: the max is order-free,
// x * inv rounds the same per lane, and vcvtps2dq rounds to nearest even
// like the scalar magic-number add (|x * inv| <= 127 here). `offset` stores
// q + 128 as unsigned bytes for vpdpbusd. Writes cols values; the caller
// fills the padding.
LATERAL_KERNEL_AVX512 float QuantizeRowAvx512(const float* x, int64_t cols, bool offset, int8_t* q) {
  __m512 vmax = _mm512_setzero_ps();
  __mmask16 bad = 0;
  const __m512 inf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  int64_t t = 0;
  for (; t + 16 <= cols; t += 16) {
    const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(x + t));
    bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);  // inf or NaN
    vmax = _mm512_max_ps(vmax, a);
  }
  if (t < cols) {
    const __mmask16 m = static_cast<__mmask16>((1u << (cols - t)) - 1);
    const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(m, x + t));
    bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);
    vmax = _mm512_max_ps(vmax, a);
  }
  const float amax = _mm512_reduce_max_ps(vmax);
  const int8_t fill = offset ? static_cast<int8_t>(0x80) : 0;
  if (bad != 0 || amax == 0.0f) {
    std::memset(q, fill, cols);
    return bad != 0 ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
  }
  const __m512 inv = _mm512_set1_ps(127.0f / amax);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  const __m512i add = _mm512_set1_epi32(offset ? 128 : 0);
  for (t = 0; t < cols; t += 16) {
    const __mmask16 m = cols - t >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (cols - t)) - 1);
    __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + t), inv));
    v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), add);
    _mm_mask_storeu_epi8(q + t, m, _mm512_cvtepi32_epi8(v));
  }
  return amax / 127.0f;
}

// xu: activations + 128 as unsigned bytes (zero padding becomes 128, which the
// zero padding of the weights cancels).
template <int MR, int NR>
LATERAL_KERNEL_AVX512 void MicroAvx512(const uint8_t* xu, int64_t ldq, const float* xs, const Int8Matrix& w,
                                       int64_t j0, float* y, int64_t ldy, bool accumulate) {
  static_assert(MR * NR <= 16);
  __m512i c[16];
  for (int a = 0; a < 16; ++a) c[a] = _mm512_setzero_si512();
  const int8_t* wb = w.values.data() + j0 * w.stride;
  for (int64_t t = 0; t < w.stride; t += 64) {
    __m512i xv[MR];
    for (int i = 0; i < MR; ++i) xv[i] = _mm512_load_si512(xu + i * ldq + t);
    for (int j = 0; j < NR; ++j) {
      const __m512i wv = _mm512_loadu_si512(wb + j * w.stride + t);
      for (int i = 0; i < MR; ++i) c[i * NR + j] = _mm512_dpbusd_epi32(c[i * NR + j], xv[i], wv);
    }
  }
  alignas(64) int32_t sums[16];
  _mm512_store_si512(sums, internal::Reduce16(c));
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      const int32_t dot = sums[i * NR + j] - 128 * w.row_sums[j0 + j];
      StoreOut(y + i * ldy + j, accumulate, static_cast<float>(dot) * xs[i] * w.scales[j0 + j]);
    }
  }
}

using MicroAvx512Fn = void (*)(const uint8_t*, int64_t, const float*, const Int8Matrix&, int64_t, float*,
                               int64_t, bool);
constexpr MicroAvx512Fn kMicro4x4[4][4] = {
    {MicroAvx512<1, 1>, MicroAvx512<1, 2>, MicroAvx512<1, 3>, MicroAvx512<1, 4>},
    {MicroAvx512<2, 1>, MicroAvx512<2, 2>, MicroAvx512<2, 3>, MicroAvx512<2, 4>},
    {MicroAvx512<3, 1>, MicroAvx512<3, 2>, MicroAvx512<3, 3>, MicroAvx512<3, 4>},
    {MicroAvx512<4, 1>, MicroAvx512<4, 2>, MicroAvx512<4, 3>, MicroAvx512<4, 4>},
};
constexpr MicroAvx512Fn kMicro2x8[2][8] = {
    {MicroAvx512<1, 1>, MicroAvx512<1, 2>, MicroAvx512<1, 3>, MicroAvx512<1, 4>, MicroAvx512<1, 5>,
     MicroAvx512<1, 6>, MicroAvx512<1, 7>, MicroAvx512<1, 8>},
    {MicroAvx512<2, 1>, MicroAvx512<2, 2>, MicroAvx512<2, 3>, MicroAvx512<2, 4>, MicroAvx512<2, 5>,
     MicroAvx512<2, 6>, MicroAvx512<2, 7>, MicroAvx512<2, 8>},
};

void TileAvx512(const uint8_t* xu, int64_t ldq, const float* xs, const Int8Matrix& w, float* y, int64_t ldy,
                bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const bool narrow = m1 - m0 <= 2;
  const int64_t MR = narrow ? 2 : 4, NR = narrow ? 8 : 4;
  for (int64_t i = m0; i < m1; i += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, m1 - i));
    for (int64_t j = n0; j < n1; j += NR) {
      const int nr = static_cast<int>(std::min<int64_t>(NR, n1 - j));
      const MicroAvx512Fn fn = narrow ? kMicro2x8[mr - 1][nr - 1] : kMicro4x4[mr - 1][nr - 1];
      fn(xu + i * ldq, ldq, xs + i, w, j, y + i * ldy + j, ldy, accumulate);
    }
  }
}


// ---------------------------------------------------------------- AMX-INT8

// Tiles compute C[16 x 16] int32 += A[16 x 64 s8] · B[16 groups x (16 x 4 s8)].
// A is 16 weight rows read in place (rows w.stride apart; Quantize pads the
// row count to a multiple of 32 so whole tiles never leave the buffer); B is
// 16 activation rows packed per call so that each 64-byte tile row holds the
// same 4 k-bytes of the 16 rows. C is therefore yᵀ, dequantised on the way out.
// tmm0-3: C for 2 weight blocks x 2 activation blocks; tmm4-5: A; tmm6-7: B.
// The two activation blocks are 32 consecutive rows (one part), or 16 rows and
// what their quantisation missed (two parts), so a two-part product is summed
// straight from the tiles without a second output buffer.
constexpr int64_t kAmxMinRows = 16;

// c receives 4 tiles of 16 x 16 int32: tile 2 * wi + xi is weight block wi
// against activation block xi. The caller loaded FullAmxTileConfig() on this
// thread (once per task: loading it per block cost as much as a k-step).
__attribute__((target("amx-tile,amx-int8"))) void AmxBlock(const int8_t* a, int64_t lda, const int8_t* b0,
                                                            const int8_t* b1, int64_t k_steps, int32_t* c) {
  asm volatile("" ::: "memory");  // the tile asm does not declare the memory it reads
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  // Two k-steps per turn, the second in mirrored order, so each operand
  // tile is reloaded as soon as the last product reading it has issued (a
  // tile has no renaming: a load waits for the reads before it). 5% faster
  // than one order for every step (model_bench BM_KernelGemm, int8).
  int64_t s = 0;
  for (; s + 2 <= k_steps; s += 2) {
    _tile_loadd(4, a + s * 64, lda);
    _tile_loadd(6, b0 + s * 16 * 64, 64);
    _tile_loadd(7, b1 + s * 16 * 64, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_loadd(5, a + 16 * lda + s * 64, lda);
    _tile_dpbssd(3, 5, 7);
    _tile_loadd(4, a + (s + 1) * 64, lda);      // A0 free after C1
    _tile_dpbssd(2, 5, 6);
    _tile_loadd(7, b1 + (s + 1) * 16 * 64, 64);  // B1 free after C3
    _tile_dpbssd(1, 4, 7);
    _tile_loadd(6, b0 + (s + 1) * 16 * 64, 64);  // B0 free after C2
    _tile_dpbssd(0, 4, 6);
    _tile_loadd(5, a + 16 * lda + (s + 1) * 64, lda);  // A1 free after C2
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  for (; s < k_steps; ++s) {
    _tile_loadd(4, a + s * 64, lda);
    _tile_loadd(6, b0 + s * 16 * 64, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_loadd(7, b1 + s * 16 * 64, 64);
    _tile_dpbssd(1, 4, 7);
    _tile_loadd(5, a + 16 * lda + s * 64, lda);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  _tile_stored(0, c, 64);
  _tile_stored(1, c + 256, 64);
  _tile_stored(2, c + 512, 64);
  _tile_stored(3, c + 768, 64);
  asm volatile("" ::: "memory");
}

// Writes C tiles (16 weight rows x 16 activation rows, int32) into y as
// y[i][j] = float(c) * xs[i] * ws[j], or with two parts
// y[i][j] = float(c) * xs[i] * ws[j] + float(c_rest) * xs_rest[i] * ws[j],
// the scalar formula lane by lane in the oracle's order (so identical to the
// other tiers; the _round_ forms are builtins the compiler never fuses into an
// FMA). Dequantised along the tile's rows, transposed in registers, stored as
// `cols` rows of y. xs (and xs_rest) hold 16 readable values from i0.
LATERAL_KERNEL_AVX512 void StoreTileTransposed(const int32_t* ct, const int32_t* ct_rest, int64_t j0, int rows,
                                               int64_t i0, int cols, const float* xs, const float* xs_rest,
                                               const float* ws, float* y, int64_t ldy, bool accumulate) {
  constexpr int kRound = _MM_FROUND_CUR_DIRECTION;
  const __m512 sx = _mm512_loadu_ps(xs + i0);
  const __m512 sx_rest = ct_rest != nullptr ? _mm512_loadu_ps(xs_rest + i0) : _mm512_setzero_ps();
  __m512 r[16];
  for (int jr = 0; jr < 16; ++jr) {
    const __m512 sw = _mm512_set1_ps(jr < rows ? ws[j0 + jr] : 0.0f);
    __m512 v = _mm512_mul_round_ps(_mm512_cvtepi32_ps(_mm512_load_si512(ct + jr * 16)), sx, kRound);
    v = _mm512_mul_round_ps(v, sw, kRound);
    if (ct_rest != nullptr) {
      __m512 vr = _mm512_mul_round_ps(_mm512_cvtepi32_ps(_mm512_load_si512(ct_rest + jr * 16)), sx_rest, kRound);
      vr = _mm512_mul_round_ps(vr, sw, kRound);
      v = _mm512_add_round_ps(v, vr, kRound);
    }
    r[jr] = v;
  }
  internal::Transpose16x16(r);
  const __mmask16 mask = rows >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rows) - 1);
  for (int col = 0; col < cols; ++col) {
    float* out = y + (i0 + col) * ldy + j0;
    __m512 v = r[col];
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
    _mm512_mask_storeu_ps(out, mask, v);
  }
}

// Packs 16 quantised rows (ldq bytes apart in `rows`) into B tiles: group g
// becomes 64 bytes holding bytes 4g..4g+3 of each row.
LATERAL_KERNEL_AVX512 void PackRows16(const int8_t* rows, int64_t ldq, int8_t* out) {
  const __m512i index = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32(static_cast<int>(ldq)));
  for (int64_t g = 0; g < ldq / 4; ++g) {
    _mm512_store_si512(out + g * 64, _mm512_i32gather_epi32(index, rows + 4 * g, 1));
  }
}

// rest = x - scale * q, compiled for baseline x86-64 like the oracle (no FMA
// contraction), so the second part quantises the same residual bits.
void ResidualRow(const float* x, int64_t k, float scale, const int8_t* q, float* rest) {
  for (int64_t t = 0; t < k; ++t) rest[t] = x[t] - scale * static_cast<float>(q[t]);
}

// The AMX product for m >= kAmxMinRows, one or two activation parts.
void Int8GemmAmx(const float* x, int64_t m, int64_t k, int64_t ldx, const Int8Matrix& w, float* y, int64_t ldy,
                 bool accumulate, bool two_parts) {
  const int64_t n = w.rows, ldq = w.stride, groups = ldq / 4, block_bytes = groups * 64;
  // Packed 16-row blocks go in pairs, one pair per AmxBlock call: rows
  // 32p..32p+15 and 32p+16..32p+31 (one part), or rows 16p..16p+15 and their
  // residuals (two parts). Pair p covers rows_per_pair activation rows.
  const int64_t rows_per_pair = two_parts ? 16 : 32;
  const int64_t pairs = (m + rows_per_pair - 1) / rows_per_pair;
  const int64_t mp = pairs * rows_per_pair;
  AlignedBuffer<int8_t> packed(pairs * 2 * block_bytes);
  std::vector<float> xs(mp, 0.0f), xs_rest(two_parts ? mp : 0, 0.0f);
  internal::ForRowBlocks(pairs, rows_per_pair * k, [&](int64_t p0, int64_t p1) {
    // Zeroed once: every row below m overwrites its first k bytes, the
    // padding [k, ldq) stays zero, and rows past m are cleared as they occur.
    std::vector<int8_t> rows(2 * 16 * ldq, 0);
    std::vector<float> rest(two_parts ? k : 0);
    for (int64_t p = p0; p < p1; ++p) {
      int8_t* first = rows.data();
      int8_t* second = rows.data() + 16 * ldq;
      for (int64_t r = 0; r < rows_per_pair; ++r) {
        const int64_t i = p * rows_per_pair + r;
        if (i >= m) {
          std::memset(rows.data() + r * ldq, 0, k);
          if (two_parts) std::memset(second + r * ldq, 0, k);
          continue;
        }
        const float* xi = x + i * ldx;
        if (!two_parts) {
          xs[i] = QuantizeRowAvx512(xi, k, /*offset=*/false, rows.data() + r * ldq);
          continue;
        }
        xs[i] = QuantizeRowAvx512(xi, k, /*offset=*/false, first + r * ldq);
        ResidualRow(xi, k, xs[i], first + r * ldq, rest.data());
        xs_rest[i] = QuantizeRowAvx512(rest.data(), k, /*offset=*/false, second + r * ldq);
      }
      PackRows16(first, ldq, packed.data() + (2 * p) * block_bytes);
      PackRows16(second, ldq, packed.data() + (2 * p + 1) * block_bytes);
    }
  });
  const AmxTileConfig config = FullAmxTileConfig();
  // A task is 128 weight rows x 8 pairs: the activation blocks (16 x stride
  // bytes each, packed) stay in L2 across the four 32-row weight blocks, each
  // weight block (32 x stride) in L1/L2 across the pairs. Consecutive tasks
  // share their weight rows.
  constexpr int64_t kTaskRows = 128, kTaskPairs = 8;
  const int64_t n_tasks = (n + kTaskRows - 1) / kTaskRows, m_tasks = (pairs + kTaskPairs - 1) / kTaskPairs;
  auto task = [&](int64_t t) {
    alignas(64) int32_t c[4 * 256];
    internal::LoadAmxConfig(config);
    const int64_t ni = t / m_tasks, mi = t % m_tasks;
    for (int64_t n0 = ni * kTaskRows; n0 < std::min(n, (ni + 1) * kTaskRows); n0 += 32) {
      const int8_t* a = w.values.data() + n0 * ldq;
      for (int64_t p = mi * kTaskPairs; p < std::min(pairs, (mi + 1) * kTaskPairs); ++p) {
        const int8_t* b0 = packed.data() + (2 * p) * block_bytes;
        AmxBlock(a, ldq, b0, b0 + block_bytes, ldq / 64, c);
        for (int wi = 0; wi < 2; ++wi) {
          const int64_t j0 = n0 + 16 * wi;
          const int rows = static_cast<int>(std::min<int64_t>(16, n - j0));
          if (rows <= 0) continue;
          const int32_t* tiles = c + 2 * wi * 256;
          if (two_parts) {
            const int64_t i0 = p * 16;
            const int cols = static_cast<int>(std::min<int64_t>(16, m - i0));
            StoreTileTransposed(tiles, tiles + 256, j0, rows, i0, cols, xs.data(), xs_rest.data(), w.scales.data(),
                                y, ldy, accumulate);
            continue;
          }
          for (int xi = 0; xi < 2; ++xi) {
            const int64_t i0 = p * 32 + 16 * xi;
            const int cols = static_cast<int>(std::min<int64_t>(16, m - i0));
            if (cols <= 0) continue;
            StoreTileTransposed(tiles + xi * 256, nullptr, j0, rows, i0, cols, xs.data(), nullptr,
                                w.scales.data(), y, ldy, accumulate);
          }
        }
      }
    }
  };
  ForEachTask(n_tasks * m_tasks, task);
}

}  // namespace

// Weights quantise like activations (same rounding), vectorised at the
// AVX-512 tier: quantising a 350M model is most of its int8 load time.
Int8Matrix QuantizeInt8(const float* w, int64_t rows, int64_t cols, int64_t ld) {
  const bool vector = ActiveTier() >= Tier::kAvx512;
  return Quantize(rows, cols, [&](int64_t j, int8_t* q) {
    if (vector) return QuantizeRowAvx512(w + j * ld, cols, /*offset=*/false, q);
    return QuantizeRow(cols, [&](int64_t t) { return w[j * ld + t]; }, q);
  });
}

Int8Matrix QuantizeInt8Bf16(const uint16_t* w, int64_t rows, int64_t cols, int64_t ld) {
  const bool vector = ActiveTier() >= Tier::kAvx512;
  return Quantize(rows, cols, [&](int64_t j, int8_t* q) {
    if (vector) {
      thread_local std::vector<float> row;
      row.resize(static_cast<size_t>(cols));
      for (int64_t t = 0; t < cols; ++t) row[t] = Bf16ToFloat(w[j * ld + t]);
      return QuantizeRowAvx512(row.data(), cols, /*offset=*/false, q);
    }
    return QuantizeRow(cols, [&](int64_t t) { return Bf16ToFloat(w[j * ld + t]); }, q);
  });
}

float QuantizeActivationRow(const float* x, int64_t cols, int8_t* q) {
  return QuantizeRow(cols, [&](int64_t t) { return x[t]; }, q);
}

Int8Activations DefaultInt8Activations() {
  static const Int8Activations mode = [] {
    const char* env = std::getenv("LATERAL_INT8_ACTIVATIONS");
    const std::string_view v = env == nullptr ? "" : env;
    if (v == "one") return Int8Activations::kOnePart;
    if (v == "two") return Int8Activations::kTwoParts;
    return Int8Activations::kAuto;
  }();
  return mode;
}

namespace {

void Int8GemmOnePart(Tier tier, const float* x, int64_t m, int64_t k, int64_t ldx, const Int8Matrix& w, float* y,
                     int64_t ldy, bool accumulate) {
  const int64_t n = w.rows, ldq = w.stride;
  if (tier == Tier::kAmx && m >= kAmxMinRows) {
    Int8GemmAmx(x, m, k, ldx, w, y, ldy, accumulate, /*two_parts=*/false);
    return;
  }
  AlignedBuffer<int8_t> xq(m * ldq);
  std::vector<float> xs(m);
  const bool offset = tier >= Tier::kAvx512;
  internal::ForRowBlocks(m, k, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      int8_t* row = xq.data() + i * ldq;
      if (offset) {
        std::memset(row + k, 0x80, ldq - k);  // q = 0 after the +128 offset
        xs[i] = QuantizeRowAvx512(x + i * ldx, k, /*offset=*/true, row);
      } else {
        std::memset(row + k, 0, ldq - k);
        xs[i] = QuantizeActivationRow(x + i * ldx, k, row);
      }
    }
  });
  internal::RunTiles(m, n, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    switch (tier) {
      case Tier::kAvx512:
      case Tier::kAmx:
        TileAvx512(reinterpret_cast<const uint8_t*>(xq.data()), ldq, xs.data(), w, y, ldy, accumulate, m0, m1,
                   n0, n1);
        break;
      case Tier::kAvx2:
        TileAvx2(xq.data(), ldq, xs.data(), w, y, ldy, accumulate, m0, m1, n0, n1);
        break;
      case Tier::kPortable:
        TilePortable(xq.data(), ldq, xs.data(), w, y, ldy, accumulate, m0, m1, n0, n1);
        break;
    }
  });
}

}  // namespace

void Int8Gemm(Tier tier, Int8Activations mode, const float* x, int64_t m, int64_t k, int64_t ldx,
              const Int8Matrix& w, float* y, int64_t ldy, bool accumulate) {
  if (m <= 0 || w.rows <= 0) return;
  tier = std::min(tier, SupportedTier());
  if (mode == Int8Activations::kAuto) {
    mode = m <= internal::kGemvRows ? Int8Activations::kOnePart : Int8Activations::kTwoParts;
  }
  if (mode == Int8Activations::kOnePart) {
    Int8GemmOnePart(tier, x, m, k, ldx, w, y, ldy, accumulate);
    return;
  }
  if (tier == Tier::kAmx && m >= kAmxMinRows) {
    Int8GemmAmx(x, m, k, ldx, w, y, ldy, accumulate, /*two_parts=*/true);
    return;
  }
  // Rows [0, m) are x, rows [m, 2m) what its one-part quantisation missed;
  // one call over both reads each weight once, which is what decode costs.
  const int64_t n = w.rows;
  // Uninitialised scratch: every value is written before it is read.
  AlignedBuffer<float> stacked(2 * m * k), parts(2 * m * n);
  const bool vector = tier >= Tier::kAvx512;
  internal::ForRowBlocks(m, k, [&](int64_t r0, int64_t r1) {
    std::vector<int8_t> q(static_cast<size_t>(k));
    for (int64_t i = r0; i < r1; ++i) {
      const float* xi = x + i * ldx;
      float* whole = stacked.data() + i * k;
      float* rest = stacked.data() + (m + i) * k;
      // Both quantisers give the same bits (one is the other vectorised).
      const float scale = vector ? QuantizeRowAvx512(xi, k, /*offset=*/false, q.data())
                                 : QuantizeActivationRow(xi, k, q.data());
      for (int64_t t = 0; t < k; ++t) {
        whole[t] = xi[t];
        rest[t] = xi[t] - scale * static_cast<float>(q[t]);
      }
    }
  });
  Int8GemmOnePart(tier, stacked.data(), 2 * m, k, k, w, parts.data(), n, /*accumulate=*/false);
  internal::ForRowBlocks(m, n, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const float* first = parts.data() + i * n;
      const float* second = parts.data() + (m + i) * n;
      float* out = y + i * ldy;
      for (int64_t j = 0; j < n; ++j) {
        const float v = first[j] + second[j];
        out[j] = accumulate ? out[j] + v : v;
      }
    }
  });
}

}  // namespace lateral::kernels

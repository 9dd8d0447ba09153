#include "encoder/kernels/q4_gemm.h"

#include <immintrin.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/blas_threading.h"
#include "common/cpu_features.h"
#include "common/numeric_formats.h"
#include "encoder/kernels/amx_bf16_util.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels {
namespace {

using internal::AlignedBuffer;
using internal::AmxTileConfig;
using internal::ForEachTask;
using internal::FullAmxTileConfig;
using internal::RoundUp;

constexpr int64_t kGroup = Q4Matrix::kGroup;
constexpr uint16_t kNaNBits = 0x7FC0;

// ---------------------------------------------------------------- scale grid

// Scales keep 5 significant bits: f32 bits with the low 19 bits clear (bf16
// with its 3 low mantissa bits clear). Positive finite inputs only.
constexpr uint32_t kGridLowBits = (1u << 19) - 1;

inline uint32_t Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}
inline float FromBits(uint32_t b) {
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}
inline float GridUp(float s) {
  const uint32_t b = Bits(s);
  return FromBits((b & kGridLowBits) != 0 ? (b & ~kGridLowBits) + (1u << 19) : b);
}
inline float GridNearest(float s) { return FromBits((Bits(s) + (1u << 18)) & ~kGridLowBits); }
inline float GridNext(float s) { return FromBits(Bits(s) + (1u << 19)); }

// round-half-even(v * inv) clamped to [-8, 7], for |v * inv| < 2^22 (the
// magic-number add rounds in the default mode without a libm call, so the
// loops below vectorise).
inline float RoundClamp(float v, float inv) {
  constexpr float kMagic = 12582912.0f;
  float r = (v * inv + kMagic) - kMagic;
  r = r < -8.0f ? -8.0f : r;
  return r > 7.0f ? 7.0f : r;
}

// The squared error Σ (w - s·q)² of each candidate scale over one zero-padded
// group of 32. Every term is computed exactly (s·q is exact in f32; w - s·q
// is exact by Sterbenz's lemma, since |w - s·q| <= s / 2 and w lies within
// a factor 2 of s·q whenever q != 0; its square is exact in double) and the
// terms are summed in double in the order t = 0..31 in both versions below,
// so they return the same bits and every tier picks the same scale.
constexpr int kMaxCandidates = 16;

void GroupErrorsPortable(const float* w, const float* scales, int count, double* err) {
  for (int c = 0; c < count; ++c) {
    const float s = scales[c], inv = 1.0f / s;
    double e = 0.0;
    for (int t = 0; t < kGroup; ++t) {
      const double d = w[t] - s * RoundClamp(w[t], inv);
      e += d * d;
    }
    err[c] = e;
  }
}

// Candidates in lanes; the rounding uses vrndscaleps on the rounded product
// (the scalar magic-number add, done on the same rounded product, agrees).
LATERAL_KERNEL_AVX512 void GroupErrorsAvx512(const float* w, const float* scales, int count, double* err) {
  if (count <= 8) {  // the common case: 8 lanes, half the work
    const __mmask8 used8 = static_cast<__mmask8>((1u << count) - 1);
    const __m256 s = _mm256_mask_loadu_ps(_mm256_set1_ps(1.0f), used8, scales);
    const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), s);
    const __m256 lo = _mm256_set1_ps(-8.0f), hi = _mm256_set1_ps(7.0f);
    __m512d e = _mm512_setzero_pd();
    for (int t = 0; t < kGroup; ++t) {
      const __m256 v = _mm256_set1_ps(w[t]);
      __m256 q = _mm256_roundscale_ps(_mm256_mul_ps(v, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      q = _mm256_min_ps(_mm256_max_ps(q, lo), hi);
      const __m512d d = _mm512_cvtps_pd(_mm256_sub_ps(v, _mm256_mul_ps(s, q)));
      e = _mm512_add_pd(e, _mm512_mul_pd(d, d));
    }
    alignas(64) double all[8];
    _mm512_store_pd(all, e);
    std::memcpy(err, all, count * sizeof(double));
    return;
  }
  const __mmask16 used = static_cast<__mmask16>((1u << count) - 1);
  const __m512 s = _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), used, scales);
  const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), s);
  const __m512 lo = _mm512_set1_ps(-8.0f), hi = _mm512_set1_ps(7.0f);
  __m512d e0 = _mm512_setzero_pd(), e1 = _mm512_setzero_pd();
  for (int t = 0; t < kGroup; ++t) {
    const __m512 v = _mm512_set1_ps(w[t]);
    __m512 q = _mm512_roundscale_ps(_mm512_mul_ps(v, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_min_ps(_mm512_max_ps(q, lo), hi);
    const __m512 d = _mm512_sub_ps(v, _mm512_mul_ps(s, q));
    const __m512d d0 = _mm512_cvtps_pd(_mm512_castps512_ps256(d));
    const __m512d d1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(d), 1)));
    e0 = _mm512_add_pd(e0, _mm512_mul_pd(d0, d0));
    e1 = _mm512_add_pd(e1, _mm512_mul_pd(d1, d1));
  }
  alignas(64) double all[kMaxCandidates];
  _mm512_store_pd(all, e0);
  _mm512_store_pd(all + 8, e1);
  std::memcpy(err, all, count * sizeof(double));
}

// pos = max(0, max w), neg = max(0, max -w) of one group; false when a value
// is not finite. Maxima are exact, so this equals the scalar loop.
LATERAL_KERNEL_AVX512 bool GroupRangeAvx512(const float* w, float* pos, float* neg) {
  const __m512 a = _mm512_loadu_ps(w), b = _mm512_loadu_ps(w + 16);
  const __m512 zero = _mm512_setzero_ps(), inf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  const __mmask16 bad = _mm512_cmp_ps_mask(_mm512_abs_ps(a), inf, _CMP_NLT_UQ) |
                        _mm512_cmp_ps_mask(_mm512_abs_ps(b), inf, _CMP_NLT_UQ);
  *pos = _mm512_reduce_max_ps(_mm512_max_ps(zero, _mm512_max_ps(a, b)));
  *neg = -_mm512_reduce_min_ps(_mm512_min_ps(zero, _mm512_min_ps(a, b)));
  return bad == 0;
}

// q = clamp(round-half-even(w * inv), -8, 7) for one group, as RoundClamp.
LATERAL_KERNEL_AVX512 void RoundGroupAvx512(const float* w, float inv, int8_t* q) {
  const __m512 vi = _mm512_set1_ps(inv), lo = _mm512_set1_ps(-8.0f), hi = _mm512_set1_ps(7.0f);
  for (int h = 0; h < 2; ++h) {
    __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_loadu_ps(w + 16 * h), vi),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm512_min_ps(_mm512_max_ps(r, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16 * h), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r)));
  }
}

// Quantises one group of 32 values (zero-padded), writing q[32]; returns
// the scale's bf16 bits. `vector` runs the AVX-512 versions of each step,
// which give the same bits.
uint16_t QuantizeGroup32(const float* w, int8_t* q, bool naive, bool vector) {
  float pos = 0.0f, neg = 0.0f;
  bool finite = true;
  if (vector) {
    finite = GroupRangeAvx512(w, &pos, &neg);
  } else {
    for (int t = 0; t < kGroup; ++t) {
      if (!std::isfinite(w[t])) finite = false;
      pos = std::max(pos, w[t]);
      neg = std::max(neg, -w[t]);
    }
  }
  const float amax = std::max(pos, neg);
  // Groups below 2^-100 store zeros (their reciprocal scales would overflow).
  if (!finite || amax < 0x1p-100f) {
    std::memset(q, 0, kGroup);
    return finite ? 0 : kNaNBits;
  }
  float best = GridNearest(amax / 7.0f);
  if (!naive) {
    // The naive scale first, then the grid from the smallest scale that
    // clips nothing up to amax / 6.5 (at most 10 values: the grid steps by
    // 1/32 to 1/16 relative over a ratio of 8.5 / 6.5).
    float scales[kMaxCandidates];
    int count = 0;
    scales[count++] = best;
    const float top = amax / 6.5f;
    for (float s = GridUp(std::max(pos / 7.5f, neg / 8.5f)); s <= top && count < kMaxCandidates; s = GridNext(s)) {
      scales[count++] = s;
    }
    double err[kMaxCandidates];
    if (vector) {
      GroupErrorsAvx512(w, scales, count, err);
    } else {
      GroupErrorsPortable(w, scales, count, err);
    }
    for (int c = 1; c < count; ++c) {
      if (err[c] < err[0]) {
        err[0] = err[c];
        best = scales[c];
      }
    }
  }
  const float inv = 1.0f / best;
  if (vector) {
    RoundGroupAvx512(w, inv, q);
  } else {
    for (int t = 0; t < kGroup; ++t) q[t] = static_cast<int8_t>(RoundClamp(w[t], inv));
  }
  return static_cast<uint16_t>(Bits(best) >> 16);
}

// load_row(j, out) writes row j's cols values as float32.
template <typename LoadRow>
Q4Matrix Quantize(int64_t rows, int64_t cols, LoadRow load_row) {
  Q4Matrix out;
  out.rows = rows;
  out.cols = cols;
  out.stride = RoundUp(std::max<int64_t>(cols, 1), Q4Matrix::kBlock);
  out.groups = out.stride / kGroup;
  out.row_bytes = RoundUp(out.stride / 2 + 2 * out.groups, 64);
  out.data.assign(rows * out.row_bytes + 64, 0);
  const bool vector = ActiveTier() >= Tier::kAvx512;
  internal::ForRowBlocks(rows, cols * 8, [&](int64_t r0, int64_t r1) {
    std::vector<float> w(static_cast<size_t>(out.stride), 0.0f);  // zero padding stays
    std::vector<int8_t> q(static_cast<size_t>(out.stride));
    std::vector<uint16_t> scales(static_cast<size_t>(out.groups));
    for (int64_t j = r0; j < r1; ++j) {
      load_row(j, w.data());
      // Padding groups quantise to q = 0 with scale 0.
      for (int64_t g = 0; g < out.groups; ++g) {
        scales[g] = QuantizeGroup32(w.data() + g * kGroup, q.data() + g * kGroup,
                                                         /*naive=*/false, vector);
      }
      // Byte 16g + r of block c: weight 128c + 32g + r low, + 16 high.
      uint8_t* row = out.mutable_base() + j * out.row_bytes;
      std::memcpy(row + out.stride / 2, scales.data(), 2 * out.groups);
      for (int64_t c = 0; c < out.stride / Q4Matrix::kBlock; ++c) {
        const int8_t* qc = q.data() + c * Q4Matrix::kBlock;
        for (int b = 0; b < 64; ++b) {
          const int t = 32 * (b / 16) + b % 16;
          row[c * 64 + b] = static_cast<uint8_t>((qc[t] + 8) | ((qc[t + 16] + 8) << 4));
        }
      }
    }
  });
  return out;
}

inline void StoreOut(float* y, bool accumulate, float v) { *y = accumulate ? *y + v : v; }

// ---------------------------------------------------------------- decode: activations

// QuantizeActivationRow vectorised, bit-identical (as int8_gemm.cc's): the
// maximum is order-free, x * inv rounds the same per lane, and vcvtps2dq
// rounds to nearest even like the scalar magic-number add (|x * inv| <= 127).
LATERAL_KERNEL_AVX512 float QuantizeRowAvx512(const float* x, int64_t cols, int8_t* q) {
  __m512 vmax = _mm512_setzero_ps();
  __mmask16 bad = 0;
  const __m512 inf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  auto mask = [cols](int64_t t) {
    return cols - t >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (cols - t)) - 1);
  };
  for (int64_t t = 0; t < cols; t += 16) {
    const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(mask(t), x + t));
    bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);  // inf or NaN
    vmax = _mm512_max_ps(vmax, a);
  }
  const float amax = _mm512_reduce_max_ps(vmax);
  if (bad != 0 || amax == 0.0f) {
    std::memset(q, 0, cols);
    return bad != 0 ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
  }
  const __m512 inv = _mm512_set1_ps(127.0f / amax);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  for (int64_t t = 0; t < cols; t += 16) {
    __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask(t), x + t), inv));
    v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
    _mm_mask_storeu_epi8(q + t, mask(t), _mm512_cvtepi32_epi8(v));
  }
  return amax / 127.0f;
}

// Per call: int8 activations [m, stride] (zero-padded) and their scales. For
// the SIMD tiers each 128-value block is reordered to match the nibbles: its
// 16-byte chunks 0, 2, 4, 6 (the first halves of the 4 groups) then 1, 3, 5,
// 7, so that the low nibbles of a 64-byte weight block meet the first 64
// bytes and the high nibbles the last 64. neg_sums (SIMD tiers) holds, per
// 4-byte lane of a block, -8 · (the 4 activations under the low nibbles +
// the 4 under the high ones): added to the vpdpbusd sums it cancels the + 8
// of the unsigned nibbles exactly. The portable tier reads q in natural order.
struct QuantizedRows {
  int64_t ldq = 0;
  AlignedBuffer<int8_t> q;
  std::vector<float> scales;
  AlignedBuffer<int32_t> neg_sums;
  QuantizedRows(Tier tier, const float* x, int64_t m, int64_t k, int64_t ldx, int64_t stride)
      : ldq(stride), q(m * stride), scales(m), neg_sums(m * stride / 8) {
    std::vector<int8_t> natural(static_cast<size_t>(stride));
    for (int64_t i = 0; i < m; ++i) {
      int8_t* row = tier == Tier::kPortable ? q.data() + i * ldq : natural.data();
      std::memset(row + k, 0, ldq - k);
      scales[i] = tier >= Tier::kAvx512 ? QuantizeRowAvx512(x + i * ldx, k, row)
                                        : QuantizeActivationRow(x + i * ldx, k, row);
      if (tier == Tier::kPortable) continue;
      int8_t* out = q.data() + i * ldq;
      int32_t* ns = neg_sums.data() + i * (ldq / 8);
      for (int64_t c = 0; c < ldq / 128; ++c) {
        for (int chunk = 0; chunk < 8; ++chunk) {
          std::memcpy(out + c * 128 + (chunk % 2) * 64 + (chunk / 2) * 16, row + c * 128 + chunk * 16, 16);
        }
        for (int l = 0; l < 16; ++l) {
          const int8_t* a = out + c * 128 + 4 * l;
          ns[c * 16 + l] = -8 * (int32_t{a[0]} + a[1] + a[2] + a[3] + a[64] + a[65] + a[66] + a[67]);
        }
      }
    }
  }
};

// ---------------------------------------------------------------- decode: portable

void GemvPortable(const QuantizedRows& xr, const Q4Matrix& w, float* y, int64_t ldy, bool accumulate, int64_t m0,
                  int64_t m1, int64_t n0, int64_t n1) {
  const int64_t used_groups = (w.cols + kGroup - 1) / kGroup;
  for (int64_t j = n0; j < n1; ++j) {
    for (int64_t i = m0; i < m1; ++i) {
      const int8_t* a = xr.q.data() + i * xr.ldq;
      float sum = 0.0f;
      for (int64_t g = 0; g < used_groups; ++g) {
        int32_t dot = 0;
        for (int64_t t = g * kGroup; t < (g + 1) * kGroup; ++t) dot += w.Value(j, t) * int32_t{a[t]};
        sum += static_cast<float>(dot) * w.Scale(j, g);
      }
      StoreOut(y + i * ldy + j, accumulate, sum * xr.scales[i]);
    }
  }
}

// ---------------------------------------------------------------- decode: AVX2

LATERAL_KERNEL_AVX2 inline float Bf16Scalar(uint16_t bits) { return Bf16ToFloat(bits); }

template <int MR, int NR>
LATERAL_KERNEL_AVX2 void MicroGemvAvx2(const QuantizedRows& xr, int64_t i0, const Q4Matrix& w, int64_t j0, float* y,
                                       int64_t ldy, bool accumulate) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  const int64_t blocks = RoundUp(w.cols, Q4Matrix::kBlock) / Q4Matrix::kBlock;
  for (int64_t c = 0; c < blocks; ++c) {
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {  // bytes 0-31: groups 0 and 1; bytes 32-63: groups 2 and 3
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) {
        const uint8_t* bytes = w.row_nibbles(j0 + j) + c * 64 + half * 32;
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes));
        const __m256i lo = _mm256_and_si256(v, low);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        const uint16_t* sc = w.row_scales(j0 + j) + c * 4 + half * 2;
        const __m256 s = _mm256_set_m128(_mm_set1_ps(Bf16Scalar(sc[1])), _mm_set1_ps(Bf16Scalar(sc[0])));
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
          const int8_t* a = xr.q.data() + (i0 + i) * xr.ldq + c * 128 + half * 32;
          const int32_t* ns = xr.neg_sums.data() + (i0 + i) * (xr.ldq / 8) + c * 16 + half * 8;
          const __m256i x_lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(a));
          const __m256i x_hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 64));
          // Pairs of u4 x s8 products stay within int16 (2 x 15 x 127, twice).
          const __m256i p16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x_lo), _mm256_maddubs_epi16(hi, x_hi));
          const __m256i d = _mm256_add_epi32(_mm256_madd_epi16(p16, ones),
                                             _mm256_load_si256(reinterpret_cast<const __m256i*>(ns)));
          acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), s, acc[i][j]);
        }
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      StoreOut(y + (i0 + i) * ldy + j0 + j, accumulate, internal::HorizontalSum(acc[i][j]) * xr.scales[i0 + i]);
}

using MicroGemvFn = void (*)(const QuantizedRows&, int64_t, const Q4Matrix&, int64_t, float*, int64_t, bool);
constexpr MicroGemvFn kGemvAvx2[4][4] = {
    {MicroGemvAvx2<1, 1>, MicroGemvAvx2<1, 2>, MicroGemvAvx2<1, 3>, MicroGemvAvx2<1, 4>},
    {MicroGemvAvx2<2, 1>, MicroGemvAvx2<2, 2>, MicroGemvAvx2<2, 3>, MicroGemvAvx2<2, 4>},
    {MicroGemvAvx2<3, 1>, MicroGemvAvx2<3, 2>, MicroGemvAvx2<3, 3>, MicroGemvAvx2<3, 4>},
    {MicroGemvAvx2<4, 1>, MicroGemvAvx2<4, 2>, MicroGemvAvx2<4, 3>, MicroGemvAvx2<4, 4>},
};

// ---------------------------------------------------------------- decode: AVX-512 VNNI

template <int MR, int NR>
LATERAL_KERNEL_AVX512 void MicroGemvAvx512(const QuantizedRows& xr, int64_t i0, const Q4Matrix& w, int64_t j0,
                                           float* y, int64_t ldy, bool accumulate) {
  __m512 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  const __m512i low = _mm512_set1_epi8(0x0F);
  // 16-bit lanes of the scale vector: element 4 (zero) below each scale, so
  // each 32-bit lane becomes its group's scale as f32 bits: lanes 4g..4g+3
  // take group g.
  const __m512i idx = _mm512_set_epi16(3, 4, 3, 4, 3, 4, 3, 4, 2, 4, 2, 4, 2, 4, 2, 4,  //
                                       1, 4, 1, 4, 1, 4, 1, 4, 0, 4, 0, 4, 0, 4, 0, 4);
  // Row pointers hoisted (the loops below are fully unrolled, so the
  // accumulators stay in registers). `ahead` is the same row NR further on,
  // which the next micro-tile reads: rows are short (576 bytes at k = 1024)
  // and many streams run at once, so the hardware prefetchers alone leave
  // the loads waiting; without a next tile it is the row itself.
  const uint8_t* rows[NR];
  const uint16_t* scales[NR];
  const uint8_t* ahead[NR];
  const uint16_t* ahead_scales[NR];
#pragma GCC unroll 8
  for (int j = 0; j < NR; ++j) {
    rows[j] = w.row_nibbles(j0 + j);
    scales[j] = w.row_scales(j0 + j);
    const int64_t next = j0 + j + NR < w.rows ? j0 + j + NR : j0 + j;
    ahead[j] = w.row_nibbles(next);
    ahead_scales[j] = w.row_scales(next);
  }
  const int8_t* xq[MR];
  const int32_t* ns[MR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
    xq[i] = xr.q.data() + (i0 + i) * xr.ldq;
    ns[i] = xr.neg_sums.data() + (i0 + i) * (xr.ldq / 8);
  }
  const int64_t blocks = RoundUp(w.cols, Q4Matrix::kBlock) / Q4Matrix::kBlock;
  for (int64_t c = 0; c < blocks; ++c) {
    __m512i x_lo[MR], x_hi[MR], n[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      x_lo[i] = _mm512_load_si512(xq[i] + c * 128);
      x_hi[i] = _mm512_load_si512(xq[i] + c * 128 + 64);
      n[i] = _mm512_load_si512(ns[i] + c * 16);
    }
#pragma GCC unroll 8
    for (int j = 0; j < NR; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead[j] + c * 64), _MM_HINT_T0);
      if (c % 8 == 0) _mm_prefetch(reinterpret_cast<const char*>(ahead_scales[j] + c * 4), _MM_HINT_T0);
      const __m512i v = _mm512_loadu_si512(rows[j] + c * 64);
      const __m512i lo = _mm512_and_si512(v, low);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
      const __m128i four = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales[j] + c * 4));
      const __m512i sc = _mm512_zextsi128_si512(four);
      const __m512 sv = _mm512_castsi512_ps(_mm512_permutexvar_epi16(idx, sc));
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) {
        // Both nibbles of a lane belong to one group: one integer sum per lane.
        const __m512i d = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(n[i], lo, x_lo[i]), hi, x_hi[i]);
        acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sv, acc[i][j]);
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      StoreOut(y + (i0 + i) * ldy + j0 + j, accumulate, _mm512_reduce_add_ps(acc[i][j]) * xr.scales[i0 + i]);
}

// 1 activation row: 8 weight rows in flight (more streams for the memory
// system); 2-4 rows: 4 weight rows.
constexpr MicroGemvFn kGemvAvx512x8[8] = {MicroGemvAvx512<1, 1>, MicroGemvAvx512<1, 2>, MicroGemvAvx512<1, 3>,
                                          MicroGemvAvx512<1, 4>, MicroGemvAvx512<1, 5>, MicroGemvAvx512<1, 6>,
                                          MicroGemvAvx512<1, 7>, MicroGemvAvx512<1, 8>};
constexpr MicroGemvFn kGemvAvx512[4][4] = {
    {MicroGemvAvx512<1, 1>, MicroGemvAvx512<1, 2>, MicroGemvAvx512<1, 3>, MicroGemvAvx512<1, 4>},
    {MicroGemvAvx512<2, 1>, MicroGemvAvx512<2, 2>, MicroGemvAvx512<2, 3>, MicroGemvAvx512<2, 4>},
    {MicroGemvAvx512<3, 1>, MicroGemvAvx512<3, 2>, MicroGemvAvx512<3, 3>, MicroGemvAvx512<3, 4>},
    {MicroGemvAvx512<4, 1>, MicroGemvAvx512<4, 2>, MicroGemvAvx512<4, 3>, MicroGemvAvx512<4, 4>},
};

void Gemv(Tier tier, const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y, int64_t ldy,
          bool accumulate) {
  const QuantizedRows xr(tier, x, m, k, ldx, w.stride);
  // Tasks of whole weight-row panels of at least 32 KB (rows of 576 bytes at
  // k = 1024: RunTiles' 16-row minimum would make tasks of 9 KB, where task
  // overhead shows), multiples of 8 rows, up to 8 per thread for balance.
  const int64_t n = w.rows, row_bytes = w.row_bytes;
  const int threads = tbb::this_task_arena::max_concurrency();
  int64_t tasks = std::clamp<int64_t>(n * row_bytes / (32 << 10), 1, threads <= 1 ? 1 : 8 * threads);
  const int64_t rows_per_task = RoundUp((n + tasks - 1) / tasks, 8);
  tasks = (n + rows_per_task - 1) / rows_per_task;
  const int64_t m0 = 0, m1 = m;
  ForEachTask(tasks, [&](int64_t task) {
    const int64_t n0 = task * rows_per_task, n1 = std::min(n, n0 + rows_per_task);
    if (tier == Tier::kPortable) {
      GemvPortable(xr, w, y, ldy, accumulate, m0, m1, n0, n1);
      return;
    }
    const bool single = tier >= Tier::kAvx512 && m1 - m0 == 1;
    const int64_t NR = single ? 8 : 4;
    for (int64_t i = m0; i < m1; i += 4) {
      const int mr = static_cast<int>(std::min<int64_t>(4, m1 - i));
      for (int64_t j = n0; j < n1; j += NR) {
        const int nr = static_cast<int>(std::min<int64_t>(NR, n1 - j));
        const MicroGemvFn fn = tier == Tier::kAvx2 ? kGemvAvx2[mr - 1][nr - 1]
                               : single            ? kGemvAvx512x8[nr - 1]
                                                   : kGemvAvx512[mr - 1][nr - 1];
        fn(xr, i, w, j, y, ldy, accumulate);
      }
    }
  });
}

// ---------------------------------------------------------------- prefill: dequantisation

void DequantiseRowPortable(const Q4Matrix& w, int64_t j, int64_t count, float* out) {
  for (int64_t t = 0; t < count; ++t) out[t] = w.Dequantised(j, t);
}

// Row j dequantised to f32, stride values (s · q exactly).
LATERAL_KERNEL_AVX2 void DequantiseRowAvx2(const Q4Matrix& w, int64_t j, float* out) {
  const uint8_t* row = w.row_nibbles(j);
  const uint16_t* sc = w.row_scales(j);
  const __m128i low = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  for (int64_t g = 0; g < w.groups; ++g) {  // 16 bytes: the group's 32 weights
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + g * 16));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(v, low), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), low), eight);
    const __m256 s = _mm256_set1_ps(Bf16Scalar(sc[g]));
    float* o = out + g * 32;
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), s));
    _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), s));
    _mm256_storeu_ps(o + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), s));
    _mm256_storeu_ps(o + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), s));
  }
}

// Row j dequantised to bf16 (exact), stride values.
LATERAL_KERNEL_AVX512 void DequantiseRowBf16Avx512(const Q4Matrix& w, int64_t j, uint16_t* out) {
  const uint8_t* row = w.row_nibbles(j);
  const uint16_t* sc = w.row_scales(j);
  const __m128i low = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  for (int64_t g = 0; g < w.groups; ++g) {  // 16 bytes: the group's 32 weights
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + g * 16));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(v, low), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), low), eight);
    const __m512 s = _mm512_set1_ps(Bf16ToFloat(sc[g]));
    const __m512 a = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)), s);
    const __m512 b = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), s);
    // Both products are exact in bf16 (5-bit scales), so the conversion is too.
    _mm512_storeu_si512(out + g * 32, (__m512i)_mm512_cvtne2ps_pbh(b, a));
  }
}

// ---------------------------------------------------------------- prefill: portable

void PrefillPortable(const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y, int64_t ldy,
                     bool accumulate) {
  internal::RunTiles(m, w.rows, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t j = n0; j < n1; ++j) {
      DequantiseRowPortable(w, j, k, row.data());
      for (int64_t i = m0; i < m1; ++i) {
        float s = 0.0f;
        for (int64_t t = 0; t < k; ++t) s += x[i * ldx + t] * row[t];
        StoreOut(y + i * ldy + j, accumulate, s);
      }
    }
  });
}

// ---------------------------------------------------------------- prefill: f32 panels + sgemm

constexpr int64_t kPanelRows = 256;

void PrefillSgemm(const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y, int64_t ldy,
                  bool accumulate) {
  SetUpBlasThreading();
  const int64_t n = w.rows, panels = (n + kPanelRows - 1) / kPanelRows;
  auto panel = [&](int64_t p) {
    const int64_t n0 = p * kPanelRows, rows = std::min(kPanelRows, n - n0);
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<size_t>(rows * w.stride));
    for (int64_t j = 0; j < rows; ++j) DequantiseRowAvx2(w, n0 + j, buffer.data() + j * w.stride);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(rows),
                static_cast<int>(k), 1.0f, x, static_cast<int>(ldx), buffer.data(), static_cast<int>(w.stride),
                accumulate ? 1.0f : 0.0f, y + n0, static_cast<int>(ldy));
  };
  ForEachTask(panels, panel);
}

// ---------------------------------------------------------------- prefill: AMX-BF16

constexpr int64_t kAmxMinRows = 16;

LATERAL_KERNEL_AVX512 void PrefillAmx(const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w,
                                      float* y, int64_t ldy, bool accumulate) {
  const int64_t n = w.rows, kp = w.stride;
  const int64_t mp = RoundUp(m, 32), block_bytes = kp * 32;  // 16 rows x kp bf16
  AlignedBuffer<int8_t> hi(mp / 16 * block_bytes), mid(mp / 16 * block_bytes);
  internal::PackSplitActivations(x, m, k, ldx, kp, hi.data(), mid.data());
  const AmxTileConfig config = FullAmxTileConfig();
  // A task owns a range of weight rows, dequantised once into a per-thread
  // buffer (at most 1 MB of bf16: 128 rows at k = 1024 and 96 at 4,608),
  // then multiplied with every activation block in turn; each block's two
  // packed parts stay within about 1 MB of L2 as in bf16's AMX path. (With
  // bf16's tasks, one per weight range and activation block, the FFN's down
  // projection dequantised each weight row 8 times per 256-token pass.)
  const int64_t task_rows = std::clamp<int64_t>((int64_t{1} << 20) / (2 * kp) / 32 * 32, 32, 128);
  const int64_t block_cols = std::clamp<int64_t>((int64_t{1} << 20) / (4 * kp) / 32 * 32, 32, 256);
  const int64_t n32 = RoundUp(n, 32);
  const int64_t n_tasks = (n32 + task_rows - 1) / task_rows;
  auto task = [&](int64_t t) {
    alignas(64) float c[4 * 256];
    internal::LoadAmxConfig(config);
    thread_local std::vector<uint16_t> rows_bf16;
    const int64_t t0 = t * task_rows, t1 = std::min(n32, t0 + task_rows);
    rows_bf16.resize(static_cast<size_t>((t1 - t0) * kp));
    for (int64_t r = t0; r < t1; ++r) {
      uint16_t* out = rows_bf16.data() + (r - t0) * kp;
      if (r < n) {
        DequantiseRowBf16Avx512(w, r, out);
      } else {
        std::memset(out, 0, kp * 2);
      }
    }
    for (int64_t b0 = 0; b0 < mp; b0 += block_cols) {
      for (int64_t n0 = t0; n0 < t1; n0 += 32) {
        const uint16_t* a = rows_bf16.data() + (n0 - t0) * kp;
        for (int64_t m0 = b0; m0 < std::min(mp, b0 + block_cols); m0 += 32) {
          const int64_t b = m0 / 16;
          const int8_t* parts[2] = {hi.data() + b * block_bytes, mid.data() + b * block_bytes};
          internal::AmxBf16Block(a, kp * 2, parts, block_bytes, kp / 32, c);
          for (int wi = 0; wi < 2; ++wi) {
            const int64_t j0 = n0 + 16 * wi;
            const int rows = static_cast<int>(std::min<int64_t>(16, n - j0));
            for (int xi = 0; xi < 2 && rows > 0; ++xi) {
              const int64_t i0 = m0 + 16 * xi;
              const int cols = static_cast<int>(std::min<int64_t>(16, m - i0));
              if (cols <= 0) continue;
              internal::StoreTileTransposedF32(c + (2 * wi + xi) * 256, j0, rows, i0, cols, y, ldy, accumulate);
            }
          }
        }
      }
    }
  };
  ForEachTask(n_tasks, task);
}

}  // namespace

int Q4Matrix::Value(int64_t j, int64_t t) const {
  const int64_t g = t / kGroup, r = t % kGroup;
  const uint8_t byte = row_nibbles(j)[g * 16 + r % 16];
  const int u = r >= 16 ? byte >> 4 : byte & 0x0F;
  return u - 8;
}

float Q4Matrix::Scale(int64_t j, int64_t g) const { return Bf16ToFloat(row_scales(j)[g]); }

void Q4Matrix::RowToFloat(int64_t j, float* out) const { DequantiseRowPortable(*this, j, cols, out); }

uint16_t QuantizeQ4Group(const float* w, int64_t count, int8_t* q, bool naive) {
  float padded[kGroup];
  int8_t all[kGroup];
  for (int64_t t = 0; t < kGroup; ++t) padded[t] = t < count ? w[t] : 0.0f;
  const uint16_t scale = QuantizeGroup32(padded, all, naive, /*vector=*/false);
  std::memcpy(q, all, static_cast<size_t>(std::min(count, kGroup)));
  return scale;
}

Q4Matrix QuantizeQ4(const float* w, int64_t rows, int64_t cols, int64_t ld) {
  return Quantize(rows, cols, [&](int64_t j, float* out) { std::memcpy(out, w + j * ld, cols * sizeof(float)); });
}

Q4Matrix QuantizeQ4Bf16(const uint16_t* w, int64_t rows, int64_t cols, int64_t ld) {
  return Quantize(rows, cols, [&](int64_t j, float* out) {
    const uint16_t* in = w + j * ld;
    for (int64_t t = 0; t < cols; ++t) out[t] = Bf16ToFloat(in[t]);
  });
}

void Q4Gemm(Tier tier, const float* x, int64_t m, int64_t k, int64_t ldx, const Q4Matrix& w, float* y, int64_t ldy,
            bool accumulate) {
  if (m <= 0 || w.rows <= 0) return;
  tier = std::min(tier, SupportedTier());
  if (m <= internal::kGemvRows) {
    Gemv(tier, x, m, k, ldx, w, y, ldy, accumulate);
  } else if (tier == Tier::kPortable) {
    PrefillPortable(x, m, k, ldx, w, y, ldy, accumulate);
  } else if (tier == Tier::kAmx && m >= kAmxMinRows && cpu::Detected().amx_bf16) {
    PrefillAmx(x, m, k, ldx, w, y, ldy, accumulate);
  } else {
    PrefillSgemm(x, m, k, ldx, w, y, ldy, accumulate);
  }
}

}  // namespace lateral::kernels

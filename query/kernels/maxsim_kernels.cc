#include "query/kernels/maxsim_kernels.h"

// GCC 12's AVX-512 headers build "undefined" vectors by self-initialisation,
// which -W(maybe-)uninitialized flag once the intrinsics are inlined (GCC bug
// 105593, fixed in GCC 13). The pragmas must precede <immintrin.h>.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "query/kernels/cpu_features.h"

// Layout: the SIMD paths put query tokens in vector lanes. A chunk of W query
// tokens (W = 32 for AVX-512, 16 for AVX2) is transposed once per call into
// qt[dim][W]; then for each document token d_j and each dim k one broadcast of
// d_j[k] times the qt row advances W dot products at once with FMA, and the
// running maxima over j stay in registers. No horizontal sums are needed, any
// dim works without tails, and the transpose (about 1k cycles for 32 x 128)
// is paid once per call, not per document token.

namespace lateral {
namespace {

#define LATERAL_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define LATERAL_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))

// Query chunks of this many dims or fewer are transposed into a stack buffer;
// larger ones fall back to the heap.
constexpr int kStackDims = 256;

float MaxSimScalar(const float* query, int64_t nq, const float* document, int64_t nd, int dim) {
  float total = 0;
  for (int64_t i = 0; i < nq; ++i) {
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < nd; ++j) {
      float dot = 0;
      for (int d = 0; d < dim; ++d) dot += query[i * dim + d] * document[j * dim + d];
      best = std::max(best, dot);
    }
    total += best;
  }
  return total;
}

// qt[k * width + l] = query[l][k] for l < valid, 0 for valid <= l < width.
void TransposeScalar(const float* query, int valid, int dim, int width, int l0, float* qt) {
  for (int k = 0; k < dim; ++k) {
    for (int l = l0; l < width; ++l) qt[k * width + l] = l < valid ? query[l * static_cast<int64_t>(dim) + k] : 0.0f;
  }
}

// ---------------------------------------------------------------------------
// AVX-512: chunks of 32 tokens (2 zmm).

constexpr int kWidth512 = 32;

// 16 x 16 block transpose: dst[c * dst_stride + r] = src[r * src_stride + c].
LATERAL_TARGET_AVX512 void Transpose16x16(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  __m512 r[16], t[16], u[16], v[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * src_stride);
  // Pairs of rows interleaved, then pairs of pairs: u[4g + m] holds, in each
  // 128-bit lane L, column 4L + m of rows 4g..4g+3.
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
#pragma GCC unroll 4
  for (int g = 0; g < 16; g += 4) {
    const __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
    const __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // Then gather the 128-bit lanes: each output holds one column of all rows.
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    v[m] = _mm512_shuffle_f32x4(u[m], u[m + 4], 0x88);
    v[m + 4] = _mm512_shuffle_f32x4(u[m], u[m + 4], 0xdd);
    v[m + 8] = _mm512_shuffle_f32x4(u[m + 8], u[m + 12], 0x88);
    v[m + 12] = _mm512_shuffle_f32x4(u[m + 8], u[m + 12], 0xdd);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    _mm512_storeu_ps(dst + m * dst_stride, _mm512_shuffle_f32x4(v[m], v[m + 8], 0x88));
    _mm512_storeu_ps(dst + (m + 8) * dst_stride, _mm512_shuffle_f32x4(v[m], v[m + 8], 0xdd));
    _mm512_storeu_ps(dst + (m + 4) * dst_stride, _mm512_shuffle_f32x4(v[m + 4], v[m + 12], 0x88));
    _mm512_storeu_ps(dst + (m + 12) * dst_stride, _mm512_shuffle_f32x4(v[m + 4], v[m + 12], 0xdd));
  }
}

LATERAL_TARGET_AVX512 void TransposeChunk512(const float* query, int valid, int dim, float* qt) {
  const int full_groups = valid / 16;
  const int full_dims = dim / 16 * 16;
  for (int g = 0; g < full_groups; ++g) {
    const float* src = query + g * 16 * static_cast<int64_t>(dim);
    for (int k = 0; k < full_dims; k += 16) Transpose16x16(src + k, dim, qt + k * kWidth512 + g * 16, kWidth512);
    for (int k = full_dims; k < dim; ++k) {
      for (int l = 0; l < 16; ++l) qt[k * kWidth512 + g * 16 + l] = src[l * static_cast<int64_t>(dim) + k];
    }
  }
  if (full_groups < 2) TransposeScalar(query, valid, dim, kWidth512, full_groups * 16, qt);
}

// Running max over kNd document tokens of their dots with 32 query tokens.
template <int kNd>
LATERAL_TARGET_AVX512 inline void Block512(const float* qt, const float* doc, int dim, __m512* best) {
  __m512 acc[kNd][2];
#pragma GCC unroll 8
  for (int i = 0; i < kNd; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int k = 0; k < dim; ++k) {
    const __m512 q0 = _mm512_loadu_ps(qt + k * kWidth512);
    const __m512 q1 = _mm512_loadu_ps(qt + k * kWidth512 + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kNd; ++i) {
      const __m512 d = _mm512_set1_ps(doc[i * static_cast<int64_t>(dim) + k]);
      acc[i][0] = _mm512_fmadd_ps(q0, d, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(q1, d, acc[i][1]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kNd; ++i) {
    best[0] = _mm512_max_ps(best[0], acc[i][0]);
    best[1] = _mm512_max_ps(best[1], acc[i][1]);
  }
}

// Document tokens per pass: 6 x 2 = 12 accumulators, more than the 8 chains
// two FMA ports with 4-cycle latency need, with registers to spare.
constexpr int kDocs512 = 6;

LATERAL_TARGET_AVX512 float MaxSimAvx512(const float* query, int64_t nq, const float* document, int64_t nd, int dim) {
  alignas(64) float stack_buf[kStackDims * kWidth512];
  std::vector<float> heap_buf;
  float* qt = stack_buf;
  if (dim > kStackDims) {
    heap_buf.resize(static_cast<size_t>(dim) * kWidth512);
    qt = heap_buf.data();
  }
  float total = 0;
  for (int64_t t0 = 0; t0 < nq; t0 += kWidth512) {
    const int valid = static_cast<int>(std::min<int64_t>(kWidth512, nq - t0));
    TransposeChunk512(query + t0 * dim, valid, dim, qt);
    __m512 best[2] = {_mm512_set1_ps(-std::numeric_limits<float>::infinity()),
                      _mm512_set1_ps(-std::numeric_limits<float>::infinity())};
    int64_t j = 0;
    for (; j + kDocs512 <= nd; j += kDocs512) Block512<kDocs512>(qt, document + j * dim, dim, best);
    switch (nd - j) {
      case 5:
        Block512<5>(qt, document + j * dim, dim, best);
        break;
      case 4:
        Block512<4>(qt, document + j * dim, dim, best);
        break;
      case 3:
        Block512<3>(qt, document + j * dim, dim, best);
        break;
      case 2:
        Block512<2>(qt, document + j * dim, dim, best);
        break;
      case 1:
        Block512<1>(qt, document + j * dim, dim, best);
        break;
      default:
        break;
    }
    // Padding lanes (tokens past nq) are left out of the sum.
    alignas(64) float lanes[kWidth512];
    _mm512_store_ps(lanes, best[0]);
    _mm512_store_ps(lanes + 16, best[1]);
    for (int l = 0; l < valid; ++l) total += lanes[l];
  }
  return total;
}

// ---------------------------------------------------------------------------
// AVX2: chunks of 16 tokens (2 ymm); 16 registers leave room for 4 document
// tokens per pass (8 accumulators, 2 query rows, 1 broadcast, 2 maxima).

constexpr int kWidth256 = 16;
constexpr int kDocs256 = 4;

// 8 x 8 block transpose: dst[c * dst_stride + r] = src[r * src_stride + c].
LATERAL_TARGET_AVX2 void Transpose8x8(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  __m256 r[8], t[8], u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * src_stride);
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4h + m]: in 128-bit lane L, column 4L + m of rows 4h..4h+3.
#pragma GCC unroll 2
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xee);
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xee);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    _mm256_storeu_ps(dst + m * dst_stride, _mm256_permute2f128_ps(u[m], u[m + 4], 0x20));
    _mm256_storeu_ps(dst + (m + 4) * dst_stride, _mm256_permute2f128_ps(u[m], u[m + 4], 0x31));
  }
}

LATERAL_TARGET_AVX2 void TransposeChunk256(const float* query, int valid, int dim, float* qt) {
  const int full_groups = valid / 8;
  const int full_dims = dim / 8 * 8;
  for (int g = 0; g < full_groups; ++g) {
    const float* src = query + g * 8 * static_cast<int64_t>(dim);
    for (int k = 0; k < full_dims; k += 8) Transpose8x8(src + k, dim, qt + k * kWidth256 + g * 8, kWidth256);
    for (int k = full_dims; k < dim; ++k) {
      for (int l = 0; l < 8; ++l) qt[k * kWidth256 + g * 8 + l] = src[l * static_cast<int64_t>(dim) + k];
    }
  }
  if (full_groups < 2) TransposeScalar(query, valid, dim, kWidth256, full_groups * 8, qt);
}

template <int kNd>
LATERAL_TARGET_AVX2 inline void Block256(const float* qt, const float* doc, int dim, __m256* best) {
  __m256 acc[kNd][2];
#pragma GCC unroll 4
  for (int i = 0; i < kNd; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int k = 0; k < dim; ++k) {
    const __m256 q0 = _mm256_loadu_ps(qt + k * kWidth256);
    const __m256 q1 = _mm256_loadu_ps(qt + k * kWidth256 + 8);
#pragma GCC unroll 4
    for (int i = 0; i < kNd; ++i) {
      const __m256 d = _mm256_broadcast_ss(doc + i * static_cast<int64_t>(dim) + k);
      acc[i][0] = _mm256_fmadd_ps(q0, d, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(q1, d, acc[i][1]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < kNd; ++i) {
    best[0] = _mm256_max_ps(best[0], acc[i][0]);
    best[1] = _mm256_max_ps(best[1], acc[i][1]);
  }
}

LATERAL_TARGET_AVX2 float MaxSimAvx2(const float* query, int64_t nq, const float* document, int64_t nd, int dim) {
  alignas(32) float stack_buf[kStackDims * kWidth256];
  std::vector<float> heap_buf;
  float* qt = stack_buf;
  if (dim > kStackDims) {
    heap_buf.resize(static_cast<size_t>(dim) * kWidth256);
    qt = heap_buf.data();
  }
  float total = 0;
  for (int64_t t0 = 0; t0 < nq; t0 += kWidth256) {
    const int valid = static_cast<int>(std::min<int64_t>(kWidth256, nq - t0));
    TransposeChunk256(query + t0 * dim, valid, dim, qt);
    __m256 best[2] = {_mm256_set1_ps(-std::numeric_limits<float>::infinity()),
                      _mm256_set1_ps(-std::numeric_limits<float>::infinity())};
    int64_t j = 0;
    for (; j + kDocs256 <= nd; j += kDocs256) Block256<kDocs256>(qt, document + j * dim, dim, best);
    switch (nd - j) {
      case 3:
        Block256<3>(qt, document + j * dim, dim, best);
        break;
      case 2:
        Block256<2>(qt, document + j * dim, dim, best);
        break;
      case 1:
        Block256<1>(qt, document + j * dim, dim, best);
        break;
      default:
        break;
    }
    alignas(32) float lanes[kWidth256];
    _mm256_store_ps(lanes, best[0]);
    _mm256_store_ps(lanes + 8, best[1]);
    for (int l = 0; l < valid; ++l) total += lanes[l];  // padding lanes left out
  }
  return total;
}

}  // namespace

float MaxSimKernel(const float* query, int64_t nq, const float* document, int64_t nd, int dim) {
  if (nd <= 0 || nq <= 0 || dim <= 0) return 0.0f;
  switch (ActiveSimdLevel()) {
    case SimdLevel::kAvx512:
      return MaxSimAvx512(query, nq, document, nd, dim);
    case SimdLevel::kAvx2:
      return MaxSimAvx2(query, nq, document, nd, dim);
    case SimdLevel::kScalar:
      break;
  }
  return MaxSimScalar(query, nq, document, nd, dim);
}

}  // namespace lateral

#include "query/kernels/centroid_scores.h"

// GCC 12's AVX-512 headers build "undefined" vectors by self-initialisation,
// which -W(maybe-)uninitialized flag once the intrinsics are inlined (GCC bug
// 105593, fixed in GCC 13). The pragmas must precede <immintrin.h>.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "query/kernels/cpu_features.h"

// Quantization and its error.
//
// Every centroid row c and every query row q is quantized symmetrically:
// s = max|x| / 127, code = round(x / s) in [-127, 127], so |x - s*code| <= s/2
// per component. The int8 dot product is exact in int32 and is scaled back by
// s_c * s_q in float32. With e_c = c - c^ and e_q = q - q^:
//
//   |c.q - c^.q^| = |e_c.q + c^.e_q| <= (s_c / 2) ||q||_1 + (s_q / 2) ||c^||_1
//
// plus one float rounding of the final product (relative 2^-23). For unit
// vectors ||x||_1 <= sqrt(dim), so the bound is about
// sqrt(dim) * (max|c| + max|q|) / 254: for dim 128 and typical unit rows
// (max component ~0.3) that is ~0.027 worst case. The rounding errors are
// independent across components, so the typical error is far smaller, about
// sqrt((s_c^2 + s_q^2) / 12) ~ 1e-3: measured over 65536 x 32 random dim-128
// unit pairs, rms 8e-4 and max 4.3e-3. Scores only rank centroids for candidate generation and pruning, so
// this is well inside what the exact float32 MaxSim stage later corrects.
// tests/query/maxsim_kernels_test.cc checks the per-pair bound above and a 1e-2
// ceiling for dim-128 unit vectors.
//
// Limits: the int32 accumulators hold 4 * 255 * 127 per 4-dim group, so dim
// must stay below ~65000 (ColBERT uses 128).
//
// Every SIMD level computes the same integer dot product and scales it with the
// same float operations, so all levels return bit-identical scores.

namespace lateral {
namespace {

#define LATERAL_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define LATERAL_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

// Query tokens per pass over a centroid: 32 covers a whole ColBERT query, as
// two zmm (16 tokens each) or four ymm (8 tokens each) of int32 lanes.
constexpr int kChunk = 32;
// Centroids per VNNI pass: 8 centroids x 2 zmm = 16 accumulators, enough
// independent chains to hide vpdpbusd latency, leaving registers for the query.
constexpr int kVnniCentroids = 8;

int RoundUp(int x, int m) { return (x + m - 1) / m * m; }

// Quantizes x[0..dim) into codes[0..stride) (tail zeroed); returns the scale.
float QuantizeRow(const float* x, int dim, int stride, int8_t* codes) {
  float max_abs = 0;
  for (int d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::fabs(x[d]));
  std::memset(codes, 0, stride);
  // A zero (or non-finite) row has no usable scale; it scores 0 everywhere.
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return 0.0f;
  const float inv = 127.0f / max_abs;
  for (int d = 0; d < dim; ++d) {
    const long v = std::lrint(x[d] * inv);
    codes[d] = static_cast<int8_t>(std::clamp(v, -127L, 127L));
  }
  return max_abs / 127.0f;
}

// Borrowed view of the centroid codes, so kernels need no access to the class.
struct CodeTable {
  const int8_t* codes;
  const float* scales;
  const int32_t* sums;
  int64_t k;
  int stride;
};

// The query after quantization: codes [nq, stride] and scales padded with zeros
// to whole chunks.
struct QuantizedQuery {
  std::vector<int8_t> codes;
  std::vector<float> scales;
};

QuantizedQuery QuantizeQuery(const float* query, int64_t nq, int dim, int stride) {
  QuantizedQuery q;
  q.codes.resize(nq * stride);
  q.scales.assign(RoundUp(static_cast<int>(nq), kChunk), 0.0f);
  for (int64_t t = 0; t < nq; ++t) q.scales[t] = QuantizeRow(query + t * dim, dim, stride, q.codes.data() + t * stride);
  return q;
}

// The one formula every level uses to turn an int32 dot product into a score.
inline float Dequantize(int32_t dot, float centroid_scale, float query_scale) {
  return static_cast<float>(dot) * (centroid_scale * query_scale);
}

// ---------------------------------------------------------------------------
// Scalar: the reference path, always available.

void ScoresScalar(const CodeTable& table, const QuantizedQuery& q, int64_t nq, float* out) {
  for (int64_t c = 0; c < table.k; ++c) {
    const int8_t* row = table.codes + c * table.stride;
    for (int64_t t = 0; t < nq; ++t) {
      const int8_t* qrow = q.codes.data() + t * table.stride;
      int32_t dot = 0;
      for (int d = 0; d < table.stride; ++d) dot += static_cast<int32_t>(row[d]) * qrow[d];
      out[c * nq + t] = Dequantize(dot, table.scales[c], q.scales[t]);
    }
  }
}

// ---------------------------------------------------------------------------
// AVX2: int8 codes sign-extended to int16 and multiplied with vpmaddwd, which
// cannot saturate (|product pair| <= 2 * 127^2). (vpmaddubsw would need the
// query offset to u8, and 255 * 127 * 2 overflows its int16 pair sums.)
//
// The query is packed per chunk as [stride / 2][kChunk] dwords, each holding
// one token's pair of int16 codes for dims (2p, 2p + 1); one ymm load then
// gives 8 tokens' pairs. The centroid pair is broadcast to all lanes.

std::vector<int32_t> PackQueryPairs(const QuantizedQuery& q, int64_t nq, int stride) {
  const int64_t chunks = (nq + kChunk - 1) / kChunk;
  const int pairs = stride / 2;
  std::vector<int32_t> packed(chunks * pairs * kChunk, 0);
  for (int64_t t = 0; t < nq; ++t) {
    int32_t* dst = packed.data() + (t / kChunk) * pairs * kChunk + t % kChunk;
    const int8_t* src = q.codes.data() + t * stride;
    for (int p = 0; p < pairs; ++p) {
      const uint32_t lo = static_cast<uint16_t>(static_cast<int16_t>(src[2 * p]));
      const uint32_t hi = static_cast<uint16_t>(static_cast<int16_t>(src[2 * p + 1]));
      dst[p * kChunk] = static_cast<int32_t>(lo | (hi << 16));
    }
  }
  return packed;
}

// acc[v] += madd(broadcast pair kPair of `half`, query pairs of 8 tokens).
template <int kPair, int kNv>
LATERAL_TARGET_AVX2 inline void Avx2Step(__m256i half, const int32_t* qpairs, __m256i* acc) {
  const __m256i b = _mm256_shuffle_epi32(half, kPair * 0x55);
#pragma GCC unroll 4
  for (int v = 0; v < kNv; ++v) {
    const __m256i qv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qpairs + 8 * v));
    acc[v] = _mm256_add_epi32(acc[v], _mm256_madd_epi16(b, qv));
  }
}

// Scores one centroid against up to 8 * kNv tokens of one chunk.
template <int kNv>
LATERAL_TARGET_AVX2 void Avx2Centroid(const CodeTable& table, int64_t c, const int32_t* qpack, const float* qscales,
                                      int valid, int64_t nq, float* out) {
  __m256i acc[kNv];
#pragma GCC unroll 4
  for (int v = 0; v < kNv; ++v) acc[v] = _mm256_setzero_si256();
  const int8_t* row = table.codes + c * table.stride;
  for (int b = 0; b < table.stride / 16; ++b) {
    // 16 dims = 8 int16 pairs; each 128-bit half copied to both lanes so that
    // vpshufd (in-lane) can broadcast any of its 4 pairs.
    const __m256i cv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * b)));
    const __m256i lo = _mm256_permute2x128_si256(cv, cv, 0x00);
    const __m256i hi = _mm256_permute2x128_si256(cv, cv, 0x11);
    const int32_t* q = qpack + (8 * b) * kChunk;
    Avx2Step<0, kNv>(lo, q + 0 * kChunk, acc);
    Avx2Step<1, kNv>(lo, q + 1 * kChunk, acc);
    Avx2Step<2, kNv>(lo, q + 2 * kChunk, acc);
    Avx2Step<3, kNv>(lo, q + 3 * kChunk, acc);
    Avx2Step<0, kNv>(hi, q + 4 * kChunk, acc);
    Avx2Step<1, kNv>(hi, q + 5 * kChunk, acc);
    Avx2Step<2, kNv>(hi, q + 6 * kChunk, acc);
    Avx2Step<3, kNv>(hi, q + 7 * kChunk, acc);
  }
  const __m256 cscale = _mm256_set1_ps(table.scales[c]);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  float* dst = out + c * nq;
#pragma GCC unroll 4
  for (int v = 0; v < kNv; ++v) {
    const __m256 scale = _mm256_mul_ps(cscale, _mm256_loadu_ps(qscales + 8 * v));
    const __m256 r = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[v]), scale);
    if (valid >= 8 * (v + 1)) {
      _mm256_storeu_ps(dst + 8 * v, r);
    } else {
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid - 8 * v), lane);
      _mm256_maskstore_ps(dst + 8 * v, mask, r);
    }
  }
}

LATERAL_TARGET_AVX2 void ScoresAvx2(const CodeTable& table, const QuantizedQuery& q, int64_t nq, float* out) {
  const std::vector<int32_t> packed = PackQueryPairs(q, nq, table.stride);
  const int64_t chunk_size = static_cast<int64_t>(table.stride / 2) * kChunk;
  for (int64_t c = 0; c < table.k; ++c) {
    // Chunks inside the centroid loop: a query longer than 32 tokens rereads
    // the centroid row from L1 instead of streaming the table again.
    for (int64_t t0 = 0; t0 < nq; t0 += kChunk) {
      const int valid = static_cast<int>(std::min<int64_t>(kChunk, nq - t0));
      const int32_t* qpack = packed.data() + (t0 / kChunk) * chunk_size;
      const float* qs = q.scales.data() + t0;
      float* o = out + t0;
      switch ((valid + 7) / 8) {
        case 1:
          Avx2Centroid<1>(table, c, qpack, qs, valid, nq, o);
          break;
        case 2:
          Avx2Centroid<2>(table, c, qpack, qs, valid, nq, o);
          break;
        case 3:
          Avx2Centroid<3>(table, c, qpack, qs, valid, nq, o);
          break;
        default:
          Avx2Centroid<4>(table, c, qpack, qs, valid, nq, o);
          break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// AVX-512 VNNI: vpdpbusd multiplies u8 by s8 and adds 4 products per dword
// lane. The query is the unsigned side, offset by +128 (code + 128 in
// [1, 255]); the centroid is the signed side, broadcast 4 dims at a time. The
// offset adds 128 * sum(centroid codes) to every dot, subtracted afterwards.
//
// The query is packed per chunk as [stride / 4][kChunk] dwords (4 u8 dims of
// one token), so one zmm load gives 16 tokens' 4-dim groups and the output
// for one centroid is two contiguous zmm of scores.

std::vector<uint32_t> PackQueryQuads(const QuantizedQuery& q, int64_t nq, int stride) {
  const int64_t chunks = (nq + kChunk - 1) / kChunk;
  const int groups = stride / 4;
  std::vector<uint32_t> packed(chunks * groups * kChunk, 0x80808080u);
  for (int64_t t = 0; t < nq; ++t) {
    uint32_t* dst = packed.data() + (t / kChunk) * groups * kChunk + t % kChunk;
    const int8_t* src = q.codes.data() + t * stride;
    for (int g = 0; g < groups; ++g) {
      uint32_t word = 0;
      for (int j = 0; j < 4; ++j) word |= static_cast<uint32_t>(static_cast<uint8_t>(src[4 * g + j] + 128)) << (8 * j);
      dst[g * kChunk] = word;
    }
  }
  return packed;
}

// dots[i][t] = int8 dot product (with the query offset) of centroid i of
// `rows` and token t, for kNc centroids and 16 * kNv tokens. Kept apart from
// the scaling epilogue so the compiler keeps the kNc * kNv accumulators in
// registers; inlined into one function, GCC 12 shuffles them through spills.
template <int kNc, int kNv>
LATERAL_TARGET_AVX512 __attribute__((noinline)) void VnniDots(const int8_t* rows, int stride, const uint32_t* qpack,
                                                              int32_t* dots) {
  __m512i acc[kNc][kNv];
#pragma GCC unroll 16
  for (int i = 0; i < kNc; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) acc[i][v] = _mm512_setzero_si512();
  }
  const int groups = stride / 4;
  for (int g = 0; g < groups; ++g) {
    __m512i qv[kNv];
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) qv[v] = _mm512_loadu_si512(qpack + g * kChunk + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < kNc; ++i) {
      int32_t quad;
      std::memcpy(&quad, rows + i * stride + 4 * g, sizeof(quad));
      const __m512i cb = _mm512_set1_epi32(quad);
#pragma GCC unroll 2
      for (int v = 0; v < kNv; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], qv[v], cb);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kNc; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) _mm512_store_si512(dots + (i * kNv + v) * 16, acc[i][v]);
  }
}

// Scores kNc consecutive centroids from `c` against up to 16 * kNv tokens.
template <int kNc, int kNv>
LATERAL_TARGET_AVX512 void VnniBlock(const CodeTable& table, int64_t c, const uint32_t* qpack, const float* qscales,
                                     int valid, int64_t nq, float* out) {
  alignas(64) int32_t dots[kNc * kNv * 16];
  VnniDots<kNc, kNv>(table.codes + c * table.stride, table.stride, qpack, dots);
  __mmask16 masks[kNv];
  __m512 qs[kNv];
#pragma GCC unroll 2
  for (int v = 0; v < kNv; ++v) {
    const int n = std::clamp(valid - 16 * v, 0, 16);
    masks[v] = static_cast<__mmask16>((1u << n) - 1);
    qs[v] = _mm512_loadu_ps(qscales + 16 * v);
  }
  for (int i = 0; i < kNc; ++i) {
    const __m512i offset = _mm512_set1_epi32(128 * table.sums[c + i]);
    const __m512 cscale = _mm512_set1_ps(table.scales[c + i]);
    float* dst = out + (c + i) * nq;
#pragma GCC unroll 2
    for (int v = 0; v < kNv; ++v) {
      const __m512i acc = _mm512_load_si512(dots + (i * kNv + v) * 16);
      const __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, offset));
      _mm512_mask_storeu_ps(dst + 16 * v, masks[v], _mm512_mul_ps(dot, _mm512_mul_ps(cscale, qs[v])));
    }
  }
}

template <int kNc>
LATERAL_TARGET_AVX512 void VnniChunks(const CodeTable& table, int64_t c, const std::vector<uint32_t>& packed,
                                      const QuantizedQuery& q, int64_t nq, float* out) {
  const int64_t chunk_size = static_cast<int64_t>(table.stride / 4) * kChunk;
  for (int64_t t0 = 0; t0 < nq; t0 += kChunk) {
    const int valid = static_cast<int>(std::min<int64_t>(kChunk, nq - t0));
    const uint32_t* qpack = packed.data() + (t0 / kChunk) * chunk_size;
    if (valid > 16) {
      VnniBlock<kNc, 2>(table, c, qpack, q.scales.data() + t0, valid, nq, out + t0);
    } else {
      VnniBlock<kNc, 1>(table, c, qpack, q.scales.data() + t0, valid, nq, out + t0);
    }
  }
}

LATERAL_TARGET_AVX512 void ScoresVnni(const CodeTable& table, const QuantizedQuery& q, int64_t nq, float* out) {
  const std::vector<uint32_t> packed = PackQueryQuads(q, nq, table.stride);
  int64_t c = 0;
  for (; c + kVnniCentroids <= table.k; c += kVnniCentroids) VnniChunks<kVnniCentroids>(table, c, packed, q, nq, out);
  for (; c < table.k; ++c) VnniChunks<1>(table, c, packed, q, nq, out);
}

}  // namespace

CentroidScorer::CentroidScorer(const float* centroids, int64_t k, int dim)
    : k_(k), dim_(dim), stride_(RoundUp(std::max(dim, 1), 16)) {
  codes_.resize(k_ * stride_);
  scales_.resize(k_);
  sums_.resize(k_);
  for (int64_t c = 0; c < k_; ++c) {
    int8_t* row = codes_.data() + c * stride_;
    scales_[c] = QuantizeRow(centroids + c * dim_, dim_, stride_, row);
    int32_t sum = 0;
    for (int d = 0; d < stride_; ++d) sum += row[d];
    sums_[c] = sum;
  }
}

void CentroidScorer::Scores(const float* query, int64_t nq, float* out) const {
  if (nq <= 0 || k_ == 0) return;
  const QuantizedQuery q = QuantizeQuery(query, nq, dim_, stride_);
  const CodeTable table{codes_.data(), scales_.data(), sums_.data(), k_, stride_};
  const SimdLevel level = ActiveSimdLevel();
  if (level == SimdLevel::kAvx512 && DetectedCpuFeatures().avx512_vnni) {
    ScoresVnni(table, q, nq, out);
  } else if (level >= SimdLevel::kAvx2) {
    // Also the AVX-512 path on CPUs without VNNI: the AVX2 kernel is exact too.
    ScoresAvx2(table, q, nq, out);
  } else {
    ScoresScalar(table, q, nq, out);
  }
}

void ExactCentroidScores(const float* centroids, int64_t k, int dim, const float* query, int64_t nq, float* out) {
  if (k == 0 || nq == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, nq, dim, 1.0f, centroids, dim, query, dim, 0.0f, out, nq);
}

}  // namespace lateral

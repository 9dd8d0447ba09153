#include "encoder/kernels/elementwise.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels {
namespace {

// Range reduction and e^r polynomial shared by both vector tiers. The
// polynomial is the Taylor series to degree 7: on |r| <= ln2/2 its truncation
// error is r^8/8! < 6e-9 relative, well under half an ulp, so the rounding of
// the Horner steps dominates.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693145751953125f;      // 16 bits: n · kLn2Hi is exact for |n| < 2^8
constexpr float kLn2Lo = 1.42860682030941723e-6f;  // ln 2 − kLn2Hi
constexpr float kC[8] = {1.0f, 1.0f, 0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
// Inputs are clamped here first: below, the result is under the smallest
// denormal; above, it overflows. Both clamps keep NaN (the operand order of
// max/min returns the second operand when either is NaN).
constexpr float kLowest = -104.0f, kHighest = 89.0f;

LATERAL_KERNEL_AVX512 inline __m512 Exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(kHighest), _mm512_max_ps(_mm512_set1_ps(kLowest), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kC[7]);
  for (int i = 6; i >= 0; --i) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kC[i]));
  return _mm512_scalef_ps(p, n);  // p · 2^n, with correct overflow and gradual underflow
}

LATERAL_KERNEL_AVX2 inline __m256 Exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(kHighest), _mm256_max_ps(_mm256_set1_ps(kLowest), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kC[7]);
  for (int i = 6; i >= 0; --i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC[i]));
  // 2^n as two normal powers of two (n in [-150, 129] splits into halves in
  // [-75, 65]), so overflow reaches +inf and underflow fades through the
  // denormals to 0 without exponent-field wrap-around. NaN: n is NaN, the
  // integer conversion gives INT_MIN, but p is NaN already and stays so.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

LATERAL_KERNEL_AVX512 void ExpAvx512(const float* x, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(out + i, m, Exp16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

LATERAL_KERNEL_AVX2 void ExpAvx2(const float* x, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float tail[8] = {};
    std::copy(x + i, x + n, tail);
    _mm256_store_ps(tail, Exp8(_mm256_load_ps(tail)));
    std::copy(tail, tail + (n - i), out + i);
  }
}

LATERAL_KERNEL_AVX512 void SiluMulAvx512(float* gate, const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 e = Exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 s = _mm512_div_ps(g, _mm512_add_ps(one, e));
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

LATERAL_KERNEL_AVX2 void SiluMulAvx2(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

LATERAL_KERNEL_AVX512 void SoftmaxAvx512(float* row, int64_t n, float max_value) {
  const __m512 mx = _mm512_set1_ps(max_value);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = Exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), mx));
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(m, e));
    _mm512_mask_storeu_ps(row + i, m, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(row + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), inv));
  }
}

LATERAL_KERNEL_AVX2 void SoftmaxAvx2(float* row, int64_t n, float max_value) {
  const __m256 mx = _mm256_set1_ps(max_value);
  __m256 sum = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i), mx));
    sum = _mm256_add_ps(sum, e);
    _mm256_storeu_ps(row + i, e);
  }
  float total = internal::HorizontalSum(sum);
  for (; i < n; ++i) {
    row[i] = std::exp(row[i] - max_value);
    total += row[i];
  }
  const float inv = 1.0f / total;
  for (i = 0; i < n; ++i) row[i] *= inv;
}

LATERAL_KERNEL_AVX512 double SumOfSquaresAvx512(const float* x, int64_t n) {
  __m512d acc[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d lo = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d hi = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    acc[0] = _mm512_fmadd_pd(lo, lo, acc[0]);
    acc[1] = _mm512_fmadd_pd(hi, hi, acc[1]);
  }
  double sum = _mm512_reduce_add_pd(_mm512_add_pd(acc[0], acc[1]));
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

LATERAL_KERNEL_AVX2 double SumOfSquaresAvx2(const float* x, int64_t n) {
  __m256d acc[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    const __m256d hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    acc[0] = _mm256_fmadd_pd(lo, lo, acc[0]);
    acc[1] = _mm256_fmadd_pd(hi, hi, acc[1]);
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(acc[0], acc[1]));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

// The largest value, ignoring NaN as std::max(max, v) does (NaN compares
// false). Masked lanes load as -inf.
float MaxPortable(const float* row, int64_t n) {
  float max_value = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max_value = std::max(max_value, row[i]);
  return max_value;
}

LATERAL_KERNEL_AVX512 float MaxAvx512(const float* row, int64_t n) {
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 mx = lowest;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    mx = _mm512_max_ps(_mm512_mask_loadu_ps(lowest, m, row + i), mx);  // NaN lanes keep mx
  }
  return _mm512_reduce_max_ps(mx);
}

}  // namespace

void Exp(Tier tier, const float* x, int64_t n, float* out) {
  tier = std::min(tier, SupportedTier());
  if (tier >= Tier::kAvx512) return ExpAvx512(x, n, out);
  if (tier == Tier::kAvx2) return ExpAvx2(x, n, out);
  for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}

double SumOfSquares(Tier tier, const float* x, int64_t n) {
  tier = std::min(tier, SupportedTier());
  if (tier >= Tier::kAvx512) return SumOfSquaresAvx512(x, n);
  if (tier == Tier::kAvx2) return SumOfSquaresAvx2(x, n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

void SiluMul(Tier tier, float* gate, const float* up, int64_t n) {
  tier = std::min(tier, SupportedTier());
  if (tier >= Tier::kAvx512) return SiluMulAvx512(gate, up, n);
  if (tier == Tier::kAvx2) return SiluMulAvx2(gate, up, n);
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void Softmax(Tier tier, float* row, int64_t n) {
  tier = std::min(tier, SupportedTier());
  const float max_value = tier >= Tier::kAvx512 ? MaxAvx512(row, n) : MaxPortable(row, n);
  if (max_value == -std::numeric_limits<float>::infinity()) {
    std::fill(row, row + n, 0.0f);  // nothing to attend to
    return;
  }
  if (tier >= Tier::kAvx512) return SoftmaxAvx512(row, n, max_value);
  if (tier == Tier::kAvx2) return SoftmaxAvx2(row, n, max_value);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    row[i] = std::exp(row[i] - max_value);
    sum += row[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) row[i] *= inv;
}

}  // namespace lateral::kernels

// The bf16 and int8 GEMM kernels of every tier this CPU runs against the
// scalar oracles of encoder/kernels/reference_kernels.h, on shapes that are
// not multiples of any block size, with strided operands, accumulation, and
// NaN bytes planted just past each weight row (a kernel that reads past k
// would turn its outputs into NaN).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/numeric_formats.h"
#include "encoder/kernels/bf16_gemm.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/kernel_util.h"
#include "encoder/kernels/kernel_tier.h"
#include "encoder/kernels/reference_kernels.h"
#include "gtest/gtest.h"

namespace lateral::kernels {
namespace {

struct Shape {
  int64_t m, n, k;
};

// m = 1 and 2 take the decode path; others the 4x4 / 4x3 blocked path with
// edges in both directions; k covers odd values, < 32, and block tails.
const Shape kShapes[] = {{1, 1, 1},    {1, 17, 33},   {2, 9, 64},    {3, 5, 31},    {5, 7, 63},
                         {13, 29, 95}, {1, 300, 1030}, {2, 77, 129}, {70, 130, 257}, {9, 70, 1024},
                         {4, 4, 7},    {200, 3, 45},  {37, 45, 96},  {64, 64, 1024}};

std::vector<float> RandomVector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Weights as bf16 rows `ld` apart; the gap after each row holds NaN.
std::vector<uint16_t> Bf16Weights(const std::vector<float>& w, int64_t n, int64_t k, int64_t ld) {
  std::vector<uint16_t> out(n * ld + 64, 0x7FC0u);  // quiet NaN
  for (int64_t j = 0; j < n; ++j)
    for (int64_t t = 0; t < k; ++t) out[j * ld + t] = FloatToBf16(w[j * k + t]);
  return out;
}

std::string Name(Tier tier, const Shape& s) {
  return std::string(TierName(tier)) + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
         " k=" + std::to_string(s.k);
}

TEST(KernelTierTest, OverrideIsCappedBySupport) {
  for (Tier t : AvailableTiers()) {
    SetTierForTesting(t);
    EXPECT_EQ(ActiveTier(), t);
  }
  SetTierForTesting(Tier::kAmx);
  EXPECT_EQ(ActiveTier(), SupportedTier());
  ClearTierForTesting();
  EXPECT_LE(static_cast<int>(ActiveTier()), static_cast<int>(SupportedTier()));
  EXPECT_EQ(AvailableTiers().front(), Tier::kPortable);
  EXPECT_EQ(AvailableTiers().back(), SupportedTier());
}

TEST(Bf16GemmTest, RoundToBf16MatchesScalarRounding) {
  std::vector<float> x = RandomVector(1000, 7, 3.0f);
  // Exact ties between two bf16 values, both parities, and specials.
  x.push_back(Bf16ToFloat(0x3F80) + std::ldexp(1.0f, -8));  // 1 + half an ulp: tie to even (down)
  x.push_back(Bf16ToFloat(0x3F81) + std::ldexp(1.0f, -8));  // tie to even (up)
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-0.0f);
  x.push_back(3.0e38f);
  for (Tier tier : AvailableTiers()) {
    for (int64_t len : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, static_cast<int64_t>(x.size())}) {
      std::vector<uint16_t> out(len, 0xFFFF);
      RoundToBf16(tier, x.data(), len, out.data());
      for (int64_t i = 0; i < len; ++i) {
        ASSERT_EQ(out[i], FloatToBf16(x[i])) << TierName(tier) << " value " << x[i] << " at " << i;
      }
    }
  }
}

TEST(Bf16GemmTest, EveryTierMatchesTheScalarOracle) {
  for (Bf16Activations mode : {Bf16Activations::kF32, Bf16Activations::kRounded, Bf16Activations::kSplit}) {
  const bool split = mode == Bf16Activations::kSplit;
  const bool exact = mode == Bf16Activations::kF32;
  const char* mode_name = exact ? " f32" : split ? " split" : " rounded";
  for (Tier tier : AvailableTiers()) {
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(Name(tier, s) + mode_name);
      const int64_t ldx = s.k + 3, ldw = s.k + 5, ldy = s.n + 2;
      const std::vector<float> x_dense = RandomVector(s.m * s.k, 11 + s.k);
      const std::vector<float> w_dense = RandomVector(s.n * s.k, 23 + s.n, 0.05f);
      std::vector<float> x(s.m * ldx, std::numeric_limits<float>::quiet_NaN());
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t t = 0; t < s.k; ++t) x[i * ldx + t] = x_dense[i * s.k + t];
      const std::vector<uint16_t> w = Bf16Weights(w_dense, s.n, s.k, ldw);
      std::vector<uint16_t> w_packed(s.n * s.k);
      std::vector<float> w_widened(s.n * s.k);
      for (int64_t j = 0; j < s.n; ++j)
        for (int64_t t = 0; t < s.k; ++t) {
          w_packed[j * s.k + t] = w[j * ldw + t];
          w_widened[j * s.k + t] = Bf16ToFloat(w[j * ldw + t]);
        }
      std::vector<float> ref(s.m * s.n), exact_y(s.m * s.n);
      ReferenceBf16Gemm(x_dense.data(), s.m, s.k, w_packed.data(), s.n, ref.data(), mode);
      ReferenceF32Gemm(x_dense.data(), s.m, s.k, w_widened.data(), s.n, exact_y.data());

      const std::vector<float> y0 = RandomVector(s.m * ldy, 5);
      for (bool accumulate : {false, true}) {
        std::vector<float> y = y0;
        Bf16Gemm(tier, mode, x.data(), s.m, s.k, ldx, w.data(), s.n, ldw, y.data(), ldy, accumulate);
        for (int64_t i = 0; i < s.m; ++i) {
          for (int64_t j = 0; j < s.n; ++j) {
            double magnitude = 0.0;  // Σ |x w|: scale of the rounding bounds
            for (int64_t t = 0; t < s.k; ++t) {
              magnitude += 1.01 * std::fabs(x_dense[i * s.k + t] * w_widened[j * s.k + t]);
            }
            const double base = accumulate ? y0[i * ldy + j] : 0.0;
            const double got = y[i * ldy + j];
            // Same products as the oracle; only the f32 summation order differs.
            const double sum_tol = (s.k * (split ? 2 : 1) + 2) * std::ldexp(1.0, -24) * (magnitude + std::fabs(base)) + 1e-30;
            ASSERT_NEAR(got, base + ref[i * s.n + j], (exact ? 3 : 1) * sum_tol) << "i=" << i << " j=" << j;
            // Against f32 activations: each product off by at most 2^-9 relative
            // (2^-17 split, 0 f32; split runs the dot products twice).
            // (The AMX tier runs kF32 as three exact bf16 parts: three times
            // the terms in its sums.)
            const double activation_tol = exact ? 0.0 : std::ldexp(1.0, split ? -16 : -8) * magnitude;
            ASSERT_NEAR(got, base + exact_y[i * s.n + j], activation_tol + 3 * sum_tol)
                << "i=" << i << " j=" << j;
          }
          // Columns past n are untouched.
          for (int64_t j = s.n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], y0[i * ldy + j]);
        }
      }
    }
  }
  }
}

TEST(Int8GemmTest, QuantisationIsPerRowSymmetricAndBounded) {
  const int64_t n = 37, k = 101;
  std::vector<float> w = RandomVector(n * k, 3, 0.1f);
  for (int64_t t = 0; t < k; ++t) w[5 * k + t] = 0.0f;  // an all-zero row
  const Int8Matrix q = QuantizeInt8(w.data(), n, k, k);
  ASSERT_EQ(q.stride % 64, 0);
  ASSERT_GE(q.stride, k);
  for (int64_t j = 0; j < n; ++j) {
    float amax = 0.0f;
    for (int64_t t = 0; t < k; ++t) amax = std::max(amax, std::fabs(w[j * k + t]));
    EXPECT_FLOAT_EQ(q.scales[j], amax / 127.0f);
    int32_t sum = 0;
    bool hit_max = false;
    for (int64_t t = 0; t < q.stride; ++t) {
      const int8_t v = q.values[j * q.stride + t];
      if (t >= k) {
        ASSERT_EQ(v, 0) << "padding of row " << j;
        continue;
      }
      ASSERT_GE(v, -127);
      sum += v;
      hit_max |= (v == 127 || v == -127);
      ASSERT_LE(std::fabs(v * q.scales[j] - w[j * k + t]), q.scales[j] * 0.5f * (1 + 1e-5f) + 1e-12f);
    }
    EXPECT_EQ(sum, q.row_sums[j]);
    if (j != 5) EXPECT_TRUE(hit_max) << "row " << j << " does not use the full range";
  }
  EXPECT_EQ(q.scales[5], 0.0f);
  // bf16 input quantises the widened values identically.
  std::vector<uint16_t> wb(n * k);
  std::vector<float> widened(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    wb[i] = FloatToBf16(w[i]);
    widened[i] = Bf16ToFloat(wb[i]);
  }
  const Int8Matrix qb = QuantizeInt8Bf16(wb.data(), n, k, k);
  const Int8Matrix qf = QuantizeInt8(widened.data(), n, k, k);
  EXPECT_EQ(qb.values, qf.values);
  EXPECT_EQ(qb.scales, qf.scales);
}

TEST(Int8GemmTest, WeightQuantisationIsIdenticalAtEveryTier) {
  const int64_t n = 23, k = 333;
  std::vector<float> w = RandomVector(n * k, 17, 0.2f);
  w[7] = 0.5f * (w[8] = 1.0f);  // exact ties after scaling land on both sides
  std::vector<uint16_t> wb(n * k);
  for (int64_t i = 0; i < n * k; ++i) wb[i] = FloatToBf16(w[i]);
  SetTierForTesting(Tier::kPortable);
  const Int8Matrix want = QuantizeInt8(w.data(), n, k, k), want_b = QuantizeInt8Bf16(wb.data(), n, k, k);
  for (Tier tier : AvailableTiers()) {
    SetTierForTesting(tier);
    const Int8Matrix got = QuantizeInt8(w.data(), n, k, k), got_b = QuantizeInt8Bf16(wb.data(), n, k, k);
    EXPECT_EQ(got.values, want.values) << TierName(tier);
    EXPECT_EQ(got.scales, want.scales) << TierName(tier);
    EXPECT_EQ(got.row_sums, want.row_sums) << TierName(tier);
    EXPECT_EQ(got_b.values, want_b.values) << TierName(tier);
    EXPECT_EQ(got_b.scales, want_b.scales) << TierName(tier);
  }
  ClearTierForTesting();
}

TEST(Int8GemmTest, EveryTierEqualsTheOracleAndStaysWithinTheQuantisationBound) {
  for (Int8Activations mode : {Int8Activations::kOnePart, Int8Activations::kTwoParts, Int8Activations::kAuto}) {
  for (Tier tier : AvailableTiers()) {
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(Name(tier, s) + (mode == Int8Activations::kOnePart   ? " one part"
                                    : mode == Int8Activations::kTwoParts ? " two parts"
                                                                         : " auto"));
      const int64_t ldx = s.k + 1, ldy = s.n + 3;
      std::vector<float> x_dense = RandomVector(s.m * s.k, 31 + s.m);
      if (s.m > 2) {
        for (int64_t t = 0; t < s.k; ++t) x_dense[1 * s.k + t] = 0.0f;  // a zero row: scale 0
      }
      const std::vector<float> w = RandomVector(s.n * s.k, 41 + s.k, 0.05f);
      std::vector<float> x(s.m * ldx, std::numeric_limits<float>::quiet_NaN());
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t t = 0; t < s.k; ++t) x[i * ldx + t] = x_dense[i * s.k + t];
      const Int8Matrix q = QuantizeInt8(w.data(), s.n, s.k, s.k);
      std::vector<float> ref(s.m * s.n), exact(s.m * s.n);
      ReferenceInt8Gemm(x_dense.data(), s.m, s.k, q, ref.data(), mode);
      ReferenceF32Gemm(x_dense.data(), s.m, s.k, w.data(), s.n, exact.data());
      // Largest error of the activations as the mode quantises them: half a
      // step of the row (one part) or of what the row's step missed (two).
      std::vector<float> dx(s.m);
      std::vector<int8_t> scratch(s.k);
      std::vector<float> rest(s.k);
      for (int64_t i = 0; i < s.m; ++i) {
        const float* row = x_dense.data() + i * s.k;
        const float scale = QuantizeActivationRow(row, s.k, scratch.data());
        for (int64_t t = 0; t < s.k; ++t) rest[t] = row[t] - scale * static_cast<float>(scratch[t]);
        const bool one_part = mode == Int8Activations::kOnePart ||
                              (mode == Int8Activations::kAuto && s.m <= internal::kGemvRows);
        dx[i] = one_part ? scale / 2 : QuantizeActivationRow(rest.data(), s.k, scratch.data()) / 2;
      }

      const std::vector<float> y0 = RandomVector(s.m * ldy, 9);
      for (bool accumulate : {false, true}) {
        std::vector<float> y = y0;
        Int8Gemm(tier, mode, x.data(), s.m, s.k, ldx, q, y.data(), ldy, accumulate);
        for (int64_t i = 0; i < s.m; ++i) {
          for (int64_t j = 0; j < s.n; ++j) {
            const float got = y[i * ldy + j];
            if (!accumulate) {
              ASSERT_EQ(got, ref[i * s.n + j]) << "i=" << i << " j=" << j;  // integer sums are exact
            } else {
              // The add may be fused with the dequantisation multiply (one rounding fewer).
              const float want = y0[i * ldy + j] + ref[i * s.n + j];
              ASSERT_NEAR(got, want, 4e-7 * (std::fabs(y0[i * ldy + j]) + std::fabs(ref[i * s.n + j])))
                  << "i=" << i << " j=" << j;
            }
            // |x w - x̂ ŵ| <= Σ |x| dw + dx |w| + dx dw, dw = s_j / 2.
            double bound = 0.0;
            const double dw = q.scales[j] / 2;
            for (int64_t t = 0; t < s.k; ++t) {
              bound += std::fabs(x_dense[i * s.k + t]) * dw + dx[i] * std::fabs(w[j * s.k + t]) + dx[i] * dw;
            }
            const double base = accumulate ? y0[i * ldy + j] : 0.0;
            ASSERT_NEAR(got, base + exact[i * s.n + j], bound * 1.001 + 1e-5 * (std::fabs(base) + 1e-3))
                << "i=" << i << " j=" << j;
          }
          for (int64_t j = s.n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], y0[i * ldy + j]);
        }
      }
    }
  }
  }
}

// Two parts must shrink the error to what the weights alone leave: against
// the product with exactly dequantised weights (ŵ), the one-part result errs
// by the activations' rounding, the two-part one by about 1/127 of that.
TEST(Int8GemmTest, TwoPartActivationsLeaveOnlyTheWeightsError) {
  const int64_t m = 24, n = 48, k = 256;
  const std::vector<float> x = RandomVector(m * k, 5), w = RandomVector(n * k, 6, 0.05f);
  const Int8Matrix q = QuantizeInt8(w.data(), n, k, k);
  std::vector<float> dequantised(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t t = 0; t < k; ++t) dequantised[j * k + t] = q.values[j * q.stride + t] * q.scales[j];
  std::vector<float> want(m * n), one(m * n), two(m * n);
  ReferenceF32Gemm(x.data(), m, k, dequantised.data(), n, want.data());
  Int8Gemm(ActiveTier(), Int8Activations::kOnePart, x.data(), m, k, k, q, one.data(), n, false);
  Int8Gemm(ActiveTier(), Int8Activations::kTwoParts, x.data(), m, k, k, q, two.data(), n, false);
  double err_one = 0, err_two = 0;
  for (int64_t i = 0; i < m * n; ++i) {
    err_one += std::pow(one[i] - want[i], 2);
    err_two += std::pow(two[i] - want[i], 2);
  }
  EXPECT_GT(err_one, 0.0);
  EXPECT_LT(std::sqrt(err_two), std::sqrt(err_one) / 50);
}

TEST(Int8GemmTest, NonFiniteActivationsGiveNaNNotGarbage) {
  const int64_t n = 5, k = 70;
  const std::vector<float> w = RandomVector(n * k, 1);
  const Int8Matrix q = QuantizeInt8(w.data(), n, k, k);
  std::vector<float> x = RandomVector(2 * k, 2);
  x[3] = std::numeric_limits<float>::infinity();
  for (Tier tier : AvailableTiers()) {
    std::vector<float> y(2 * n);
    for (Int8Activations mode : {Int8Activations::kOnePart, Int8Activations::kTwoParts}) {
      Int8Gemm(tier, mode, x.data(), 2, k, k, q, y.data(), n, false);
      for (int64_t j = 0; j < n; ++j) {
        EXPECT_TRUE(std::isnan(y[j])) << TierName(tier);
        EXPECT_TRUE(std::isfinite(y[n + j])) << TierName(tier);
      }
    }
  }
}

}  // namespace
}  // namespace lateral::kernels

// The vector exp, SiLU gating and softmax of encoder/kernels/elementwise.h at
// every tier this CPU runs, against std::exp (the portable tier is the
// oracle): ulp distance over a dense sweep of the whole input range and at
// the special values, and the composite functions against their scalar forms.
#include "encoder/kernels/elementwise.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace lateral::kernels {
namespace {

int64_t OrderedBits(float v) {
  int32_t bits;
  std::memcpy(&bits, &v, 4);
  return bits < 0 ? -static_cast<int64_t>(bits & 0x7FFFFFFF) : bits;
}

int64_t UlpDistance(float a, float b) { return std::llabs(OrderedBits(a) - OrderedBits(b)); }

TEST(ElementwiseTest, ExpIsWithinTwoUlpOfStdExpAtEveryTier) {
  std::vector<float> x;
  for (float v = -110.0f; v <= 90.0f; v += 0.0009765625f) x.push_back(v);  // 2^-10 steps: 204,800 inputs
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> small(-1.0f, 1.0f);
  for (int i = 0; i < 10000; ++i) x.push_back(small(rng) * 1e-3f);  // around exp(0) = 1
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> specials = {0.0f, -0.0f, inf, -inf, 88.72283f, 88.72284f, -87.33654f, -87.33655f,
                                       -103.97f, -104.5f, 1e-30f, -1e-30f};
  x.insert(x.end(), specials.begin(), specials.end());
  const float kMinNormal = std::numeric_limits<float>::min();
  for (Tier tier : AvailableTiers()) {
    SCOPED_TRACE(TierName(tier));
    std::vector<float> got(x.size());
    Exp(tier, x.data(), static_cast<int64_t>(x.size()), got.data());
    int64_t worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = std::exp(x[i]);
      if (want >= kMinNormal) {
        const int64_t ulp = UlpDistance(got[i], want);
        worst = std::max(worst, ulp);
        ASSERT_LE(ulp, 2) << "x=" << x[i] << " got " << got[i] << " want " << want;
      } else {
        // Below the normal range: may be flushed towards zero, never above it.
        ASSERT_GE(got[i], 0.0f) << "x=" << x[i];
        ASSERT_LE(got[i], kMinNormal) << "x=" << x[i];
      }
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float special[3] = {nan, -inf, inf};
    Exp(tier, special, 3, special);
    EXPECT_TRUE(std::isnan(special[0]));
    EXPECT_EQ(special[1], 0.0f);  // softmax over masked positions relies on this
    EXPECT_EQ(special[2], inf);
    RecordProperty(std::string("worst_ulp_") + TierName(tier), static_cast<int>(worst));
  }
}

TEST(ElementwiseTest, SiluMulMatchesTheScalarFormulaAtEveryTier) {
  for (int64_t n : {1, 7, 8, 15, 16, 17, 1000}) {
    std::mt19937 rng(static_cast<uint32_t>(n));
    std::normal_distribution<float> dist(0.0f, 4.0f);
    std::vector<float> gate(n), up(n);
    for (int64_t i = 0; i < n; ++i) {
      gate[i] = dist(rng);
      up[i] = dist(rng);
    }
    if (n > 3) {
      gate[0] = -100.0f;  // exp(100) overflows: silu is -0, not NaN
      gate[1] = 100.0f;
      gate[2] = 0.0f;
    }
    for (Tier tier : AvailableTiers()) {
      SCOPED_TRACE(std::string(TierName(tier)) + " n=" + std::to_string(n));
      std::vector<float> got = gate;
      SiluMul(tier, got.data(), up.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i];
        const double want = g / (1.0 + std::exp(-g)) * up[i];
        ASSERT_NEAR(got[i], want, 4e-7 * std::fabs(want) + 1e-30) << "i=" << i;
      }
    }
  }
}

TEST(ElementwiseTest, SoftmaxMatchesTheScalarFormulaAndMasksMinusInfinity) {
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {1, 5, 16, 33, 300}) {
    std::mt19937 rng(static_cast<uint32_t>(n + 100));
    std::normal_distribution<float> dist(0.0f, 3.0f);
    std::vector<float> row(n);
    for (float& v : row) v = dist(rng);
    for (int64_t i = 1; i < n; i += 3) row[i] = -inf;  // masked positions
    double max_value = -inf, sum = 0;
    for (float v : row) max_value = std::max<double>(max_value, v);
    for (float v : row) sum += std::exp(static_cast<double>(v) - max_value);
    for (Tier tier : AvailableTiers()) {
      SCOPED_TRACE(std::string(TierName(tier)) + " n=" + std::to_string(n));
      std::vector<float> got = row;
      Softmax(tier, got.data(), n);
      double total = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (row[i] == -inf) {
          ASSERT_EQ(got[i], 0.0f) << "i=" << i;
        } else {
          const double want = std::exp(static_cast<double>(row[i]) - max_value) / sum;
          ASSERT_NEAR(got[i], want, 1e-6 * want + 1e-30) << "i=" << i;
        }
        total += got[i];
      }
      EXPECT_NEAR(total, 1.0, 1e-5);
    }
  }
  for (Tier tier : AvailableTiers()) {
    std::vector<float> none = {-inf, -inf, -inf};
    Softmax(tier, none.data(), 3);
    EXPECT_EQ(none, std::vector<float>(3, 0.0f)) << TierName(tier);
  }
}

TEST(ElementwiseTest, SumOfSquaresMatchesTheSequentialDoubleSum) {
  for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 1024, 4609}) {
    std::mt19937 rng(static_cast<uint32_t>(n + 5));
    std::normal_distribution<float> dist(0.0f, 10.0f);
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    double want = 0.0;
    for (float v : x) want += static_cast<double>(v) * v;
    for (Tier tier : AvailableTiers()) {
      EXPECT_NEAR(SumOfSquares(tier, x.data(), n), want, 1e-13 * want) << TierName(tier) << " n=" << n;
    }
  }
}

}  // namespace
}  // namespace lateral::kernels

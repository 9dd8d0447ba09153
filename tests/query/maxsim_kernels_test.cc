// Tests for the SIMD kernels of query/kernels/: every path the CPU can run is
// forced in turn (SetSimdLevelForTesting) and checked against independent
// double-precision oracles. Levels the CPU lacks are skipped with a message;
// the scalar path always runs.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/kernels/centroid_scores.h"
#include "query/kernels/cpu_features.h"
#include "query/kernels/maxsim_kernels.h"
#include "query/maxsim.h"

namespace lateral {

// Readable parameter names in failure messages (gtest finds it by ADL, so it
// lives in SimdLevel's namespace rather than the anonymous one).
void PrintTo(SimdLevel level, std::ostream* os) { *os << SimdLevelName(level); }

namespace {

std::vector<float> UnitVectors(int64_t n, int dim, std::mt19937& rng) {
  std::normal_distribution<float> dist;
  std::vector<float> v(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int k = 0; k < dim; ++k) {
      v[i * dim + k] = dist(rng);
      norm += static_cast<double>(v[i * dim + k]) * v[i * dim + k];
    }
    for (int k = 0; k < dim; ++k) v[i * dim + k] = static_cast<float>(v[i * dim + k] / std::sqrt(norm));
  }
  return v;
}

double Dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int k = 0; k < dim; ++k) s += static_cast<double>(a[k]) * b[k];
  return s;
}

// The per-pair bound documented in centroid_scores.cc, recomputed here from
// the float inputs: (s_c / 2) ||q||_1 + (s_q / 2) ||c^||_1, with
// ||c^||_1 <= ||c||_1 + dim * s_c / 2, plus float rounding slack.
double QuantizationBound(const float* c, const float* q, int dim) {
  double max_c = 0, max_q = 0, l1_c = 0, l1_q = 0;
  for (int k = 0; k < dim; ++k) {
    max_c = std::max(max_c, std::fabs(static_cast<double>(c[k])));
    max_q = std::max(max_q, std::fabs(static_cast<double>(q[k])));
    l1_c += std::fabs(c[k]);
    l1_q += std::fabs(q[k]);
  }
  const double s_c = max_c / 127, s_q = max_q / 127;
  return s_c / 2 * l1_q + s_q / 2 * (l1_c + dim * s_c / 2) + 1e-6 * (1 + l1_c * max_q);
}

// Runs each test once per SimdLevel, with that level forced.
class KernelLevelTest : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override {
    if (GetParam() > SupportedSimdLevel()) {
      GTEST_SKIP() << "CPU lacks " << SimdLevelName(GetParam()) << "; best is "
                   << SimdLevelName(SupportedSimdLevel());
    }
    SetSimdLevelForTesting(GetParam());
    ASSERT_EQ(ActiveSimdLevel(), GetParam());
  }
  void TearDown() override { ClearSimdLevelForTesting(); }
};

std::string LevelName(const ::testing::TestParamInfo<SimdLevel>& info) { return SimdLevelName(info.param); }

INSTANTIATE_TEST_SUITE_P(AllLevels, KernelLevelTest,
                         ::testing::Values(SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512), LevelName);

// ---------------------------------------------------------------------------
// CentroidScorer

TEST_P(KernelLevelTest, CentroidScoresWithinDocumentedBound) {
  std::mt19937 rng(11);
  for (int dim : {8, 64, 100, 128}) {
    for (int64_t k : {1, 15, 16, 17, 203}) {
      const auto centroids = UnitVectors(k, dim, rng);
      const CentroidScorer scorer(centroids.data(), k, dim);
      ASSERT_EQ(scorer.num_centroids(), k);
      ASSERT_EQ(scorer.dim(), dim);
      for (int64_t nq : {1, 7, 32, 33, 70}) {
        const auto query = UnitVectors(nq, dim, rng);
        // A sentinel past the end catches masked stores that write too far.
        std::vector<float> out(k * nq + 16, 12345.0f);
        scorer.Scores(query.data(), nq, out.data());
        double max_err = 0;
        for (int64_t c = 0; c < k; ++c) {
          for (int64_t i = 0; i < nq; ++i) {
            const float* cr = centroids.data() + c * dim;
            const float* qr = query.data() + i * dim;
            const double err = std::fabs(out[c * nq + i] - Dot(cr, qr, dim));
            max_err = std::max(max_err, err);
            ASSERT_LE(err, QuantizationBound(cr, qr, dim))
                << "dim " << dim << " k " << k << " nq " << nq << " centroid " << c << " token " << i;
          }
        }
        for (int s = 0; s < 16; ++s) ASSERT_EQ(out[k * nq + s], 12345.0f) << "wrote past the output";
        // The headline claim for ColBERT-sized unit vectors.
        if (dim == 128) {
          EXPECT_LT(max_err, 1e-2) << "k " << k << " nq " << nq;
        }
      }
    }
  }
}

TEST_P(KernelLevelTest, CentroidScoresExactOnRepresentableInputs) {
  // Integer rows whose largest magnitude is 127 quantize with scale 1 and no
  // rounding, so the int8 path must reproduce the integer dot product exactly;
  // any slip in the +128 offset correction or in the packing shows up here.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> value(-127, 127);
  for (int dim : {1, 5, 16, 37, 128}) {
    const int64_t k = 41, nq = 35;
    auto make = [&](int64_t rows) {
      std::vector<float> v(rows * dim);
      for (int64_t r = 0; r < rows; ++r) {
        for (int d = 0; d < dim; ++d) v[r * dim + d] = static_cast<float>(value(rng));
        v[r * dim + r % dim] = (r % 2) ? 127.0f : -127.0f;
      }
      return v;
    };
    const auto centroids = make(k);
    const auto query = make(nq);
    const CentroidScorer scorer(centroids.data(), k, dim);
    std::vector<float> out(k * nq);
    scorer.Scores(query.data(), nq, out.data());
    for (int64_t c = 0; c < k; ++c) {
      for (int64_t i = 0; i < nq; ++i) {
        ASSERT_EQ(out[c * nq + i], Dot(&centroids[c * dim], &query[i * dim], dim)) << dim << " " << c << " " << i;
      }
    }
  }
}

TEST_P(KernelLevelTest, CentroidScoresZeroRowsAndEmptyInputs) {
  const int dim = 24;
  std::mt19937 rng(9);
  auto centroids = UnitVectors(20, dim, rng);
  std::fill(centroids.begin() + 3 * dim, centroids.begin() + 4 * dim, 0.0f);  // centroid 3 is zero
  auto query = UnitVectors(3, dim, rng);
  std::fill(query.begin() + dim, query.begin() + 2 * dim, 0.0f);  // token 1 is zero
  const CentroidScorer scorer(centroids.data(), 20, dim);
  std::vector<float> out(20 * 3, 99.0f);
  scorer.Scores(query.data(), 3, out.data());
  for (int64_t c = 0; c < 20; ++c) EXPECT_EQ(out[c * 3 + 1], 0.0f) << c;
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(out[3 * 3 + i], 0.0f) << i;
  EXPECT_NEAR(out[0], Dot(&centroids[0], &query[0], dim), 2e-2);

  // nq == 0 and k == 0 write nothing.
  std::vector<float> untouched(4, 7.0f);
  scorer.Scores(query.data(), 0, untouched.data());
  const CentroidScorer empty(centroids.data(), 0, dim);
  empty.Scores(query.data(), 3, untouched.data());
  for (float v : untouched) EXPECT_EQ(v, 7.0f);
}

TEST(CentroidScorerTest, AllLevelsAgreeBitForBit) {
  // Every level computes the same integer dot product and the same float
  // scaling, so their outputs must be identical, not merely close.
  std::mt19937 rng(21);
  const int dim = 100;
  const int64_t k = 531, nq = 45;
  const auto centroids = UnitVectors(k, dim, rng);
  const auto query = UnitVectors(nq, dim, rng);
  const CentroidScorer scorer(centroids.data(), k, dim);
  SetSimdLevelForTesting(SimdLevel::kScalar);
  std::vector<float> reference(k * nq);
  scorer.Scores(query.data(), nq, reference.data());
  for (SimdLevel level : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (level > SupportedSimdLevel()) continue;
    SetSimdLevelForTesting(level);
    std::vector<float> out(k * nq);
    scorer.Scores(query.data(), nq, out.data());
    EXPECT_EQ(std::memcmp(out.data(), reference.data(), out.size() * sizeof(float)), 0) << SimdLevelName(level);
  }
  ClearSimdLevelForTesting();
}

TEST(CentroidScorerTest, ExactScoresMatchDoubleDots) {
  std::mt19937 rng(4);
  const int dim = 100;
  const int64_t k = 37, nq = 9;
  const auto centroids = UnitVectors(k, dim, rng);
  const auto query = UnitVectors(nq, dim, rng);
  std::vector<float> out(k * nq);
  ExactCentroidScores(centroids.data(), k, dim, query.data(), nq, out.data());
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t i = 0; i < nq; ++i) {
      EXPECT_NEAR(out[c * nq + i], Dot(&centroids[c * dim], &query[i * dim], dim), 1e-5);
    }
  }
}

// ---------------------------------------------------------------------------
// MaxSimKernel

float Kernel(const std::vector<float>& q, int64_t nq, const std::vector<float>& d, int64_t nd, int dim) {
  return MaxSimKernel(q.data(), nq, d.data(), nd, dim);
}

float Oracle(const std::vector<float>& q, int64_t nq, const std::vector<float>& d, int64_t nd, int dim) {
  return NaiveMaxSim(TokenMatrix{q.data(), nq, dim}, TokenMatrix{d.data(), nd, dim});
}

TEST_P(KernelLevelTest, MaxSimMatchesNaiveOracle) {
  std::mt19937 rng(7);
  for (int dim : {1, 3, 8, 17, 100, 128, 300}) {
    for (int64_t nq : {1, 7, 16, 17, 32, 33, 40}) {
      const auto q = UnitVectors(nq, dim, rng);
      for (int64_t nd : {0, 1, 3, 5, 6, 7, 13, 30, 64, 301}) {
        if (dim == 300 && nd > 64) continue;  // keeps the oracle fast; the large-dim path is covered
        const auto d = UnitVectors(nd, dim, rng);
        const float expected = Oracle(q, nq, d, nd, dim);
        EXPECT_NEAR(Kernel(q, nq, d, nd, dim), expected, 1e-4 * std::max(1.0f, std::fabs(expected)))
            << "dim " << dim << " nq " << nq << " nd " << nd;
      }
    }
  }
}

TEST_P(KernelLevelTest, MaxSimEmptyDocumentAndNegativeMaxima) {
  std::mt19937 rng(8);
  const auto q = UnitVectors(32, 128, rng);
  EXPECT_EQ(Kernel(q, 32, q, 0, 128), 0.0f);
  EXPECT_EQ(Kernel(q, 0, q, 32, 128), 0.0f);

  // Every document token is the negation of a query token, and all query
  // tokens point into the same orthant, so every max is negative: a kernel that
  // starts its running max at 0 instead of -inf fails.
  const int dim = 20;
  const int64_t nq = 19, nd = 11;
  std::uniform_real_distribution<float> positive(0.1f, 1.0f);
  std::vector<float> qp(nq * dim), dn(nd * dim);
  for (float& v : qp) v = positive(rng);
  for (float& v : dn) v = -positive(rng);
  const float expected = Oracle(qp, nq, dn, nd, dim);
  ASSERT_LT(expected, 0.0f);
  EXPECT_NEAR(Kernel(qp, nq, dn, nd, dim), expected, 1e-4 * std::fabs(expected));
}

TEST_P(KernelLevelTest, MaxSimKnownValues) {
  // Query e1, e2, e3 (dim 3); document (1, 0, 0), (0.8, 0.6, 0): maxima 1,
  // 0.6 and 0, total 1.6.
  const std::vector<float> q = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const std::vector<float> d = {1, 0, 0, 0.8f, 0.6f, 0};
  EXPECT_NEAR(Kernel(q, 3, d, 2, 3), 1.6f, 1e-6);
  EXPECT_NEAR(Kernel(q, 1, d, 2, 3), 1.0f, 1e-6);
}

// ---------------------------------------------------------------------------
// CPU features

// The flags of the first processor in /proc/cpuinfo, or "" where unavailable.
std::string CpuInfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return " " + line.substr(line.find(':') + 1) + " ";
  }
  return "";
}

TEST(CpuFeaturesTest, AgreesWithProcCpuinfo) {
  const std::string flags = CpuInfoFlags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags";
  auto has = [&](const char* f) { return flags.find(std::string(" ") + f + " ") != std::string::npos; };
  // The kernel lists a feature only when the OS enables its state, which is
  // what the xgetbv check establishes.
  const CpuFeatures& f = DetectedCpuFeatures();
  EXPECT_EQ(f.avx2_fma, has("avx2") && has("fma"));
  EXPECT_EQ(f.avx512f, f.avx2_fma && has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl"));
  EXPECT_EQ(f.avx512_vnni, f.avx512f && has("avx512_vnni"));
}

TEST(CpuFeaturesTest, TestingOverrideIsCappedBySupport) {
  const SimdLevel supported = SupportedSimdLevel();
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    SetSimdLevelForTesting(level);
    EXPECT_EQ(ActiveSimdLevel(), std::min(level, supported));
  }
  ClearSimdLevelForTesting();
  EXPECT_LE(ActiveSimdLevel(), supported);
}

// LATERAL_SIMD is read once per process, so each case runs in a fresh process
// (the threadsafe death-test style re-executes the binary).
int ActiveLevelWithEnv(const char* value) {
  setenv("LATERAL_SIMD", value, 1);
  return static_cast<int>(ActiveSimdLevel());
}

TEST(CpuFeaturesDeathTest, EnvironmentCapsTheLevel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int supported = static_cast<int>(SupportedSimdLevel());
  EXPECT_EXIT(std::_Exit(ActiveLevelWithEnv("scalar")), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(std::_Exit(ActiveLevelWithEnv("avx2")), ::testing::ExitedWithCode(std::min(supported, 1)), "");
  EXPECT_EXIT(std::_Exit(ActiveLevelWithEnv("avx512")), ::testing::ExitedWithCode(supported), "");
  // Unknown values are ignored: the best supported level.
  EXPECT_EXIT(std::_Exit(ActiveLevelWithEnv("sse9")), ::testing::ExitedWithCode(supported), "");
}

}  // namespace
}  // namespace lateral

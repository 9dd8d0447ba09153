#include "query/maxsim.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace lateral {
namespace {

std::vector<float> UnitVectors(int64_t n, int64_t dim, std::mt19937& rng) {
  std::normal_distribution<float> dist;
  std::vector<float> v(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int64_t k = 0; k < dim; ++k) norm += std::pow(v[i * dim + k] = dist(rng), 2);
    for (int64_t k = 0; k < dim; ++k) v[i * dim + k] /= std::sqrt(norm);
  }
  return v;
}

TEST(MaxSimTest, FastMatchesNaiveOracle) {
  std::mt19937 rng(3);
  for (int64_t doc_len : {1, 7, 64, 300}) {
    auto q = UnitVectors(32, 128, rng);
    auto d = UnitVectors(doc_len, 128, rng);
    TokenMatrix qm{q.data(), 32, 128}, dm{d.data(), doc_len, 128};
    EXPECT_NEAR(MaxSim(qm, dm), NaiveMaxSim(qm, dm), 1e-4) << doc_len;
  }
}

TEST(MaxSimTest, KnownValuesAndEdgeCases) {
  // Query tokens e1, e2; document e1, 0.5*e2 + ...: max dots 1 and 0.6.
  std::vector<float> q = {1, 0, 0, 1};
  std::vector<float> d = {1, 0, 0.8f, 0.6f};
  TokenMatrix qm{q.data(), 2, 2}, dm{d.data(), 2, 2};
  EXPECT_NEAR(MaxSim(qm, dm), 1.0f + 0.6f, 1e-6);
  TokenMatrix empty{d.data(), 0, 2};
  EXPECT_EQ(MaxSim(qm, empty), 0.0f);
  EXPECT_EQ(NaiveMaxSim(qm, empty), 0.0f);
}

}  // namespace
}  // namespace lateral

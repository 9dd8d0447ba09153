// The BLAS-backed kernels against the scalar oracles of reference_ops.h.
#include "encoder/model/tensor_ops.h"

#include <random>
#include <vector>

#include "encoder/model/reference_ops.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(TensorOpsTest, MatMulTransposedMatchesOracleAcrossShapes) {
  // Shapes cover the inline path, the split path, and ragged final chunks.
  const int64_t shapes[][3] = {{1, 64, 192}, {7, 64, 64}, {41, 96, 288}, {300, 128, 1000}, {1, 1024, 4608}};
  uint32_t seed = 1;
  for (const auto& s : shapes) {
    const int64_t m = s[0], k = s[1], n = s[2];
    std::vector<float> x = Random(m * k, seed++);
    WeightTensor w = WeightTensor::FromValues({n, k}, Random(n * k, seed++));
    std::vector<float> fast(m * n), slow(m * n);
    MatMulTransposed(x.data(), m, k, w, fast.data());
    reference::MatMulTransposed(x.data(), m, k, w.data(), n, slow.data());
    EXPECT_TRUE(testing::AllClose(fast, slow, 1e-5)) << m << "x" << k << "x" << n;

    // accumulate adds to what is there
    std::vector<float> acc(m * n, 1.0f);
    MatMulTransposed(x.data(), m, k, w, acc.data(), /*accumulate=*/true);
    for (float& v : slow) v += 1.0f;
    EXPECT_TRUE(testing::AllClose(acc, slow, 1e-5));
  }
}

TEST(TensorOpsTest, RmsNormMatchesOracle) {
  const int64_t rows = 300, cols = 96;
  std::vector<float> x = Random(rows * cols, 7), w = Random(cols, 8);
  std::vector<float> fast(rows * cols), slow(rows * cols);
  RmsNormRows(x.data(), rows, cols, w.data(), 1e-6f, fast.data());
  reference::RmsNormRows(x.data(), rows, cols, w.data(), 1e-6f, slow.data());
  EXPECT_TRUE(testing::AllClose(fast, slow, 1e-6));
  // in place
  RmsNormRows(x.data(), rows, cols, w.data(), 1e-6f, x.data());
  EXPECT_TRUE(testing::AllClose(x, slow, 1e-6));
}

TEST(TensorOpsTest, SoftmaxHandlesMaskedEntries) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> row = {1.0f, -inf, 3.0f, -inf};
  SoftmaxRow(row.data(), 4);
  EXPECT_FLOAT_EQ(row[1], 0.0f);
  EXPECT_FLOAT_EQ(row[3], 0.0f);
  EXPECT_NEAR(row[0] + row[2], 1.0f, 1e-6);
  EXPECT_NEAR(row[2] / row[0], std::exp(2.0f), 1e-4);
  std::vector<float> none = {-inf, -inf};
  SoftmaxRow(none.data(), 2);
  EXPECT_EQ(none[0], 0.0f);
}

}  // namespace
}  // namespace lateral

#include "index/residual_codec.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace lateral {
namespace {

// Unit vectors scattered around `topics` random directions, like ColBERT
// token embeddings cluster by meaning.
std::vector<float> ClusteredUnitVectors(int64_t n, int dim, int topics, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> centers(topics * dim);
  for (float& x : centers) x = normal(rng);
  std::vector<float> v(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    const int t = static_cast<int>(rng() % topics);
    double norm = 0;
    for (int d = 0; d < dim; ++d) {
      v[i * dim + d] = centers[t * dim + d] + 0.35f * normal(rng);
      norm += v[i * dim + d] * v[i * dim + d];
    }
    for (int d = 0; d < dim; ++d) v[i * dim + d] /= std::sqrt(norm);
  }
  return v;
}

TEST(ResidualCodecTest, PlaidCentroidRule) {
  // 16 * sqrt(1e6) = 16000, floor(log2) = 13; 16 * sqrt(64e6) = 128000, floor(log2) = 16.
  EXPECT_EQ(PlaidCentroidCount(1'000'000), 8192);
  EXPECT_EQ(PlaidCentroidCount(64'000'000), 65536);
  EXPECT_EQ(PlaidCentroidCount(4), 32);  // 16 * 2 = 32 = 2^5
  EXPECT_EQ(PlaidCentroidCount(1), 1);
}

TEST(ResidualCodecTest, ReconstructionErrorShrinksWithBits) {
  const int dim = 128;
  std::vector<float> data = ClusteredUnitVectors(20000, dim, 50, 1);
  double previous = 1e9;
  for (int nbits : {1, 2, 4}) {
    CodecOptions options;
    options.nbits = nbits;
    options.num_centroids = 256;
    auto codec = ResidualCodec::Train(data.data(), 20000, dim, 20000, options);
    ASSERT_TRUE(codec.ok()) << codec.status();
    EXPECT_EQ(codec->code_bytes(), dim * nbits / 8);
    const int64_t n = 2000;
    std::vector<uint32_t> ids(n);
    std::vector<uint8_t> codes(n * codec->code_bytes());
    codec->Encode(data.data(), n, ids.data(), codes.data());
    std::vector<float> back(n * dim);
    codec->Decode(ids.data(), codes.data(), n, back.data());
    double cos_sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      double dot = 0, norm = 0;
      for (int d = 0; d < dim; ++d) {
        dot += data[i * dim + d] * back[i * dim + d];
        norm += back[i * dim + d] * back[i * dim + d];
      }
      cos_sum += dot / std::sqrt(norm);
    }
    const double error = 1.0 - cos_sum / n;
    EXPECT_LT(error, previous) << nbits << " bits";
    previous = error;
  }
  EXPECT_LT(previous, 0.01) << "4-bit codes should reconstruct to cosine > 0.99";
}

TEST(ResidualCodecTest, AssignFindsMaxInnerProductCentroid) {
  const int dim = 16;
  std::vector<float> data = ClusteredUnitVectors(3000, dim, 10, 2);
  CodecOptions options;
  options.num_centroids = 32;
  auto codec = ResidualCodec::Train(data.data(), 3000, dim, 3000, options);
  ASSERT_TRUE(codec.ok());
  std::vector<uint32_t> ids(100);
  codec->Assign(data.data(), 100, ids.data());
  for (int i = 0; i < 100; ++i) {
    int best = 0;
    double best_dot = -1e9;
    for (int c = 0; c < codec->num_centroids(); ++c) {
      double dot = 0;
      for (int d = 0; d < dim; ++d) dot += data[i * dim + d] * codec->centroids()[c * dim + d];
      if (dot > best_dot) best_dot = dot, best = c;
    }
    EXPECT_EQ(ids[i], static_cast<uint32_t>(best));
  }
}

TEST(ResidualCodecTest, RejectsBadInputs) {
  std::vector<float> data = {1, 0, std::nanf(""), 0};
  EXPECT_FALSE(ResidualCodec::Train(data.data(), 2, 2, 2, {}).ok());
  EXPECT_FALSE(ResidualCodec::FromParts(128, 3, std::vector<float>(128, 0), {}, {}).ok());
  EXPECT_FALSE(ResidualCodec::FromParts(128, 2, std::vector<float>(100, 0), {0, 0, 0}, {0, 0, 0, 0}).ok());
  EXPECT_FALSE(ResidualCodec::FromParts(128, 2, std::vector<float>(128, 0), {1, 0, 2}, {0, 0, 0, 0}).ok());
  EXPECT_TRUE(ResidualCodec::FromParts(128, 2, std::vector<float>(128, 0), {0, 1, 2}, {0, 0, 0, 0}).ok());
}

}  // namespace
}  // namespace lateral

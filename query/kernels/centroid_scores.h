// Stage 1 of search: the score of every centroid against every query token.
//
// CentroidScorer owns an int8 copy of the centroid table (one scale per
// centroid) and computes S[c][i] ~= centroid_c . query_i for all centroids c
// and query tokens i, centroid-major ([K][nq]). The scores only choose
// candidates and prune them; exact MaxSim later uses float32, so int8 error
// (documented bound in the implementation) costs no final precision while
// cutting the memory read per query 4x. Immutable after construction;
// thread-safe. PlaidSearcher builds one per index and calls Scores() once per
// query, from many threads at once.
#pragma once

#include <cstdint>
#include <vector>

namespace lateral {

class CentroidScorer {
 public:
  // `centroids` is [k, dim] row-major float32 (unit rows in practice).
  CentroidScorer(const float* centroids, int64_t k, int dim);

  int64_t num_centroids() const { return k_; }
  int dim() const { return dim_; }

  // out[c * nq + i] ~= centroids[c] . query[i]; `query` is [nq, dim].
  void Scores(const float* query, int64_t nq, float* out) const;

 private:
  int64_t k_ = 0;
  int dim_ = 0;
  // Bytes per code row: dim rounded up to 16 and zero-padded, so every SIMD
  // path reads whole 4-byte (VNNI) or 16-byte (AVX2) groups without tails.
  int stride_ = 0;
  std::vector<int8_t> codes_;   // [k_, stride_] row-major, round(x / scale)
  std::vector<float> scales_;   // [k_]: max |x| / 127 of the row (0 for a zero row)
  std::vector<int32_t> sums_;   // [k_]: sum of the row's codes (VNNI offset correction)
};

// The same scores in float32 through one BLAS sgemm, with no quantization: the
// reference the int8 scorer is tested and benchmarked against.
void ExactCentroidScores(const float* centroids, int64_t k, int dim, const float* query, int64_t nq, float* out);

}  // namespace lateral

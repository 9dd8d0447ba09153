// Nearest centroid (by inner product) for many vectors at once.
//
// Index builds assign every token vector to a centroid: 64M vectors against
// 65,536 centroids is ~10^15 flops by brute force, weeks of a laptop core.
// CentroidSearcher groups the centroids into ~sqrt(K) cells (k-means over the
// centroids themselves) and scores a vector only against the centroids of
// its `probe` best cells, with vectors batched per cell so each cell is one
// BLAS product: ~25x less work at K = 65,536, and the returned centroid is the
// exact nearest for all but a small fraction of vectors (and then a close
// second, which costs residual precision, not correctness). Small tables
// (K <= exact_below) are searched exhaustively.
//
// Owns a copy of the centroids. Immutable after Build; Nearest is thread-safe
// and parallel (oneTBB).
#pragma once

#include <cstdint>
#include <vector>

namespace lateral {

struct CentroidSearcherOptions {
  int64_t exact_below = 1024;  // K at or below this: exhaustive search
  int probe = 8;               // cells searched per vector
  uint32_t seed = 1234;
};

class CentroidSearcher {
 public:
  CentroidSearcher() = default;
  // `centroids` is [k, dim], unit rows in practice.
  static CentroidSearcher Build(const float* centroids, int64_t k, int dim,
                                const CentroidSearcherOptions& options = {});

  int64_t num_centroids() const { return k_; }
  bool exhaustive() const { return cells_ == 0; }

  // ids[i] = (approximately) argmax_c centroid_c . vectors[i]; scores[i] is
  // that inner product when `scores` is not null. `vectors` is [n, dim].
  void Nearest(const float* vectors, int64_t n, uint32_t* ids, float* scores = nullptr) const;

 private:
  void NearestExhaustive(const float* vectors, int64_t n, uint32_t* ids, float* scores) const;
  void NearestProbed(const float* vectors, int64_t n, uint32_t* ids, float* scores) const;

  int64_t k_ = 0;
  int dim_ = 0;
  int probe_ = 0;
  int64_t cells_ = 0;                  // 0: exhaustive
  std::vector<float> centroids_;       // [k, dim]; cell-major order when probed
  std::vector<uint32_t> original_id_;  // position in centroids_ -> centroid id
  std::vector<int64_t> cell_begin_;    // [cells + 1] into centroids_ rows
  std::vector<float> cell_centers_;    // [cells, dim]
};

}  // namespace lateral

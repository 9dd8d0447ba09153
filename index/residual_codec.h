// ColBERTv2-style residual compression of token vectors.
//
// A vector v is stored as the id of its nearest centroid c (by inner
// product; vectors are unit length) and its residual r = v - c quantised per
// dimension to 2^nbits buckets. One table of bucket cutoffs and bucket
// weights (reconstruction values) is shared by all dimensions, estimated as
// quantiles of held-out residuals. ResidualCodec owns centroids and tables;
// it is immutable after training, so Encode/Decode are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "index/centroid_searcher.h"

namespace lateral {

struct CodecOptions {
  int nbits = 2;                 // 1, 2 or 4 bits per dimension
  int num_centroids = 0;         // 0: PLAID's rule from the token count
  // 0: 10 for K <= 8192 and 4 (PLAID's kmeans_niters) above, where each
  // iteration is costly and a large sample converges fast.
  int kmeans_iterations = 0;
  uint32_t seed = 1234;
  double heldout_fraction = 0.05;  // of the sample, for the bucket quantiles
  // Nearest-centroid search while training and encoding (exhaustive for
  // small K, probed cells for large K; see centroid_searcher.h).
  CentroidSearcherOptions assignment;
};

// PLAID's centroid count: 2^floor(log2(16 * sqrt(num_tokens))), at least 1.
int PlaidCentroidCount(int64_t num_tokens);

class ResidualCodec {
 public:
  // Trains centroids by spherical k-means (FAISS) on `sample` [n, dim] and
  // the bucket tables on a held-out part. `total_tokens` sizes the centroid
  // count when options.num_centroids is 0.
  static absl::StatusOr<ResidualCodec> Train(const float* sample, int64_t n, int dim, int64_t total_tokens,
                                             const CodecOptions& options);
  // Rebuilds a codec from stored parts, checking their sizes.
  static absl::StatusOr<ResidualCodec> FromParts(int dim, int nbits, std::vector<float> centroids,
                                                 std::vector<float> bucket_cutoffs,
                                                 std::vector<float> bucket_weights,
                                                 const CentroidSearcherOptions& assignment = {});

  int dim() const { return dim_; }
  int nbits() const { return nbits_; }
  int num_centroids() const { return static_cast<int>(centroids_.size() / dim_); }
  // Bytes of packed residual codes per vector.
  int code_bytes() const { return dim_ * nbits_ / 8; }
  const std::vector<float>& centroids() const { return centroids_; }  // [K, dim]
  const std::vector<float>& bucket_cutoffs() const { return cutoffs_; }  // [2^nbits - 1]
  const std::vector<float>& bucket_weights() const { return weights_; }  // [2^nbits]

  // Nearest centroid of each vector, and its packed residual codes
  // ([n, code_bytes]). `vectors` is [n, dim].
  void Encode(const float* vectors, int64_t n, uint32_t* centroid_ids, uint8_t* codes) const;
  // Reconstructs vectors [n, dim] (centroid + bucket weights), not renormalised.
  void Decode(const uint32_t* centroid_ids, const uint8_t* codes, int64_t n, float* out) const;
  // Nearest centroid by inner product for each vector (through the
  // CentroidSearcher: exact for small K, probed for large K).
  void Assign(const float* vectors, int64_t n, uint32_t* centroid_ids) const;

 private:
  ResidualCodec() = default;
  int dim_ = 0;
  int nbits_ = 0;
  std::vector<float> centroids_;
  std::vector<float> cutoffs_;
  std::vector<float> weights_;
  // byte_values_[b * per_byte + j]: the bucket weight of the j-th residual
  // packed in byte value b, so decoding is a table copy per byte.
  std::vector<float> byte_values_;
  // Built on first use (search never encodes, so loading an index for search
  // skips it); shared by copies.
  struct LazySearcher {
    std::once_flag once;
    CentroidSearcherOptions options;
    CentroidSearcher searcher;
  };
  const CentroidSearcher& searcher() const;
  std::shared_ptr<LazySearcher> searcher_;
};

}  // namespace lateral

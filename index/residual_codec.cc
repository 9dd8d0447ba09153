#include "index/residual_codec.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <emmintrin.h>
#include <numeric>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "faiss/Clustering.h"
#include "faiss/IndexFlat.h"
#include "tbb/parallel_for.h"

namespace lateral {
namespace {

// Lets faiss::Clustering run its k-means loop (sampling, empty-cluster
// splitting, spherical normalisation) while each assignment step goes
// through a CentroidSearcher: exact for small K, probed for large K, where
// brute force would dominate build time.
class SearcherAssignIndex : public faiss::Index {
 public:
  SearcherAssignIndex(int dim, const CentroidSearcherOptions& options)
      : faiss::Index(dim, faiss::METRIC_INNER_PRODUCT), options_(options) {}

  void add(idx_t n, const float* x) override {
    data_.insert(data_.end(), x, x + n * d);
    ntotal += n;
    searcher_ = CentroidSearcher::Build(data_.data(), ntotal, static_cast<int>(d), options_);
  }
  void reset() override {
    data_.clear();
    ntotal = 0;
    searcher_ = CentroidSearcher();
  }
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override {
    if (k != 1) throw std::invalid_argument("SearcherAssignIndex answers k = 1 only");
    std::vector<uint32_t> ids(n);
    searcher_.Nearest(x, n, ids.data(), distances);
    for (idx_t i = 0; i < n; ++i) labels[i] = ids[i];
  }

 private:
  CentroidSearcherOptions options_;
  std::vector<float> data_;
  CentroidSearcher searcher_;
};

}  // namespace

int PlaidCentroidCount(int64_t num_tokens) {
  if (num_tokens <= 1) return 1;
  const double target = 16.0 * std::sqrt(static_cast<double>(num_tokens));
  return 1 << static_cast<int>(std::floor(std::log2(target)));
}

absl::StatusOr<ResidualCodec> ResidualCodec::FromParts(int dim, int nbits, std::vector<float> centroids,
                                                       std::vector<float> bucket_cutoffs,
                                                       std::vector<float> bucket_weights,
                                                       const CentroidSearcherOptions& assignment) {
  if (nbits != 1 && nbits != 2 && nbits != 4) {
    return absl::InvalidArgumentError(absl::StrCat("nbits must be 1, 2 or 4, not ", nbits));
  }
  if (dim <= 0 || (dim * nbits) % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("dimension ", dim, " times ", nbits,
                                                   " bits must be a positive multiple of 8"));
  }
  if (centroids.empty() || centroids.size() % dim != 0) {
    return absl::InvalidArgumentError("centroid table is empty or not a multiple of the dimension");
  }
  if (bucket_cutoffs.size() != (1u << nbits) - 1 || bucket_weights.size() != (1u << nbits)) {
    return absl::InvalidArgumentError(absl::StrCat("bucket tables must have ", (1 << nbits) - 1, " cutoffs and ",
                                                   1 << nbits, " weights"));
  }
  if (!std::is_sorted(bucket_cutoffs.begin(), bucket_cutoffs.end())) {
    return absl::InvalidArgumentError("bucket cutoffs are not sorted");
  }
  ResidualCodec c;
  c.dim_ = dim;
  c.nbits_ = nbits;
  c.centroids_ = std::move(centroids);
  c.cutoffs_ = std::move(bucket_cutoffs);
  c.weights_ = std::move(bucket_weights);
  for (float x : c.centroids_) {
    if (!std::isfinite(x)) return absl::InvalidArgumentError("centroid table has a NaN or infinite value");
  }
  const int per_byte = 8 / nbits;
  c.byte_values_.resize(256 * per_byte);
  for (int b = 0; b < 256; ++b) {
    for (int j = 0; j < per_byte; ++j) {
      const int shift = 8 - nbits * (j + 1);
      c.byte_values_[b * per_byte + j] = c.weights_[(b >> shift) & ((1 << nbits) - 1)];
    }
  }
  c.searcher_ = std::make_shared<LazySearcher>();
  c.searcher_->options = assignment;
  return c;
}

absl::StatusOr<ResidualCodec> ResidualCodec::Train(const float* sample, int64_t n, int dim, int64_t total_tokens,
                                                   const CodecOptions& options) {
  if (n < 2) return absl::InvalidArgumentError("need at least 2 sample vectors to train a codec");
  for (int64_t i = 0; i < n * dim; ++i) {
    if (!std::isfinite(sample[i])) {
      return absl::InvalidArgumentError(absl::StrCat("sample vector ", i / dim, " has a NaN or infinite value"));
    }
  }
  // Hold out a slice for the bucket quantiles, as ColBERTv2 does, so the
  // residuals they see are those of vectors k-means did not fit.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const int64_t heldout = std::clamp<int64_t>(static_cast<int64_t>(n * options.heldout_fraction), 1, 50000);
  const int64_t train_n = n - heldout;
  int k = options.num_centroids > 0 ? options.num_centroids : PlaidCentroidCount(total_tokens);
  k = static_cast<int>(std::min<int64_t>(k, train_n));

  std::vector<float> train(train_n * dim), held(heldout * dim);
  for (int64_t i = 0; i < train_n; ++i) std::copy_n(sample + order[i] * dim, dim, train.data() + i * dim);
  for (int64_t i = 0; i < heldout; ++i) std::copy_n(sample + order[train_n + i] * dim, dim, held.data() + i * dim);

  faiss::ClusteringParameters params;
  params.niter = options.kmeans_iterations > 0 ? options.kmeans_iterations : (k <= 8192 ? 10 : 4);
  params.spherical = true;
  params.seed = static_cast<int>(options.seed);
  params.verbose = false;
  params.max_points_per_centroid = 256;
  params.min_points_per_centroid = 1;
  faiss::Clustering clustering(dim, k, params);
  SearcherAssignIndex assigner(dim, options.assignment);
  try {
    clustering.train(train_n, train.data(), assigner);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("k-means failed: ", e.what()));
  }

  // Bucket tables from the held-out residuals, all dimensions pooled.
  const int buckets = 1 << options.nbits;
  std::vector<float> cutoffs(buckets - 1), weights(buckets);
  {
    absl::StatusOr<ResidualCodec> partial =
        FromParts(dim, options.nbits, clustering.centroids, std::vector<float>(buckets - 1, 0.0f),
                  std::vector<float>(buckets, 0.0f), options.assignment);
    if (!partial.ok()) return partial.status();
    std::vector<uint32_t> ids(heldout);
    partial->Assign(held.data(), heldout, ids.data());
    std::vector<float> residuals(heldout * dim);
    for (int64_t i = 0; i < heldout; ++i) {
      for (int d = 0; d < dim; ++d) {
        residuals[i * dim + d] = held[i * dim + d] - partial->centroids_[ids[i] * static_cast<int64_t>(dim) + d];
      }
    }
    std::sort(residuals.begin(), residuals.end());
    auto quantile = [&](double q) {
      const double pos = q * (residuals.size() - 1);
      return residuals[static_cast<size_t>(std::llround(pos))];
    };
    for (int b = 1; b < buckets; ++b) cutoffs[b - 1] = quantile(static_cast<double>(b) / buckets);
    for (int b = 0; b < buckets; ++b) weights[b] = quantile((b + 0.5) / buckets);
  }
  return FromParts(dim, options.nbits, std::move(clustering.centroids), std::move(cutoffs), std::move(weights),
                   options.assignment);
}

const CentroidSearcher& ResidualCodec::searcher() const {
  std::call_once(searcher_->once, [this] {
    searcher_->searcher = CentroidSearcher::Build(centroids_.data(), num_centroids(), dim_, searcher_->options);
  });
  return searcher_->searcher;
}

void ResidualCodec::Assign(const float* vectors, int64_t n, uint32_t* centroid_ids) const {
  searcher().Nearest(vectors, n, centroid_ids);
}

void ResidualCodec::Encode(const float* vectors, int64_t n, uint32_t* centroid_ids, uint8_t* codes) const {
  Assign(vectors, n, centroid_ids);
  const int bytes = code_bytes();
  const int per_byte = 8 / nbits_;
  const int num_cutoffs = static_cast<int>(cutoffs_.size());
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 256), [&](const tbb::blocked_range<int64_t>& range) {
    std::vector<uint8_t> bucket(dim_);
    for (int64_t i = range.begin(); i < range.end(); ++i) {
      const float* v = vectors + i * dim_;
      const float* c = centroids_.data() + static_cast<int64_t>(centroid_ids[i]) * dim_;
      uint8_t* out = codes + i * bytes;
      // Bucket = number of cutoffs at or below the residual (upper_bound),
      // counted branch-free so the loop vectorises.
      for (int d = 0; d < dim_; ++d) {
        const float r = v[d] - c[d];
        uint8_t b = 0;
        for (int j = 0; j < num_cutoffs; ++j) b += cutoffs_[j] <= r;
        bucket[d] = b;
      }
      // Dimension d sits in byte d / per_byte, most significant bits first.
      std::fill(out, out + bytes, 0);
      for (int d = 0; d < dim_; ++d) {
        out[d / per_byte] |= static_cast<uint8_t>(bucket[d] << (8 - nbits_ * (d % per_byte + 1)));
      }
    }
  });
}

namespace {

// Residuals of one vector from the byte table (PerByte floats per code byte,
// a compile-time size so each copy is one vector move), then the centroid.
// SSE2 (baseline x86-64) adds, since GCC at -O2 will not vectorise a loop
// whose output may alias the centroid table.
template <int PerByte>
void DecodeOne(const float* byte_values, const float* centroid, const uint8_t* in, int bytes, int dim, float* out) {
  for (int b = 0; b < bytes; ++b) {
    const float* r = byte_values + in[b] * PerByte;
    const float* c = centroid + b * PerByte;
    float* o = out + b * PerByte;
    if constexpr (PerByte % 4 == 0) {
      for (int j = 0; j < PerByte; j += 4) _mm_storeu_ps(o + j, _mm_add_ps(_mm_loadu_ps(r + j), _mm_loadu_ps(c + j)));
    } else {
      for (int j = 0; j < PerByte; ++j) o[j] = r[j] + c[j];
    }
  }
}

}  // namespace

void ResidualCodec::Decode(const uint32_t* centroid_ids, const uint8_t* codes, int64_t n, float* out) const {
  const int bytes = code_bytes();
  for (int64_t i = 0; i < n; ++i) {
    const float* c = centroids_.data() + static_cast<int64_t>(centroid_ids[i]) * dim_;
    const uint8_t* in = codes + i * bytes;
    float* o = out + i * dim_;
    switch (nbits_) {
      case 1: DecodeOne<8>(byte_values_.data(), c, in, bytes, dim_, o); break;
      case 2: DecodeOne<4>(byte_values_.data(), c, in, bytes, dim_, o); break;
      default: DecodeOne<2>(byte_values_.data(), c, in, bytes, dim_, o); break;
    }
  }
}

}  // namespace lateral

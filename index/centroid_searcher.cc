#include "index/centroid_searcher.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/blas_threading.h"
#include "common/top_k.h"
#include "faiss/Clustering.h"
#include "faiss/IndexFlat.h"
#include "tbb/parallel_for.h"

namespace lateral {
namespace {

// Rows of vectors scored per task: bounds the [rows, cells] and gathered
// buffers to a few MB per thread.
constexpr int64_t kBlockRows = 1024;

}  // namespace

CentroidSearcher CentroidSearcher::Build(const float* centroids, int64_t k, int dim,
                                         const CentroidSearcherOptions& options) {
  CentroidSearcher s;
  SetUpBlasThreading();
  s.k_ = k;
  s.dim_ = dim;
  if (k <= std::max<int64_t>(options.exact_below, 1)) {
    s.centroids_.assign(centroids, centroids + k * dim);
    return s;
  }
  // ~sqrt(K) cells of ~sqrt(K) centroids each balances the two products.
  const int64_t cells = std::max<int64_t>(2, std::llround(std::sqrt(static_cast<double>(k))));
  faiss::ClusteringParameters params;
  params.niter = 12;
  params.spherical = true;
  params.seed = static_cast<int>(options.seed);
  params.max_points_per_centroid = 1 << 30;  // use every centroid
  params.min_points_per_centroid = 1;
  faiss::Clustering clustering(dim, static_cast<int>(cells), params);
  faiss::IndexFlatIP coarse(dim);
  clustering.train(k, centroids, coarse);
  s.cell_centers_ = clustering.centroids;

  // Each centroid goes to its best cell; rows are regrouped cell by cell.
  std::vector<float> scores(static_cast<size_t>(k) * cells);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, cells, dim, 1.0f, centroids, dim, s.cell_centers_.data(),
              dim, 0.0f, scores.data(), cells);
  std::vector<uint32_t> cell_of(k);
  std::vector<int64_t> count(cells + 1, 0);
  for (int64_t c = 0; c < k; ++c) {
    const float* row = scores.data() + c * cells;
    cell_of[c] = static_cast<uint32_t>(std::max_element(row, row + cells) - row);
    ++count[cell_of[c] + 1];
  }
  s.cell_begin_.assign(cells + 1, 0);
  for (int64_t j = 0; j < cells; ++j) s.cell_begin_[j + 1] = s.cell_begin_[j] + count[j + 1];
  std::vector<int64_t> cursor(s.cell_begin_.begin(), s.cell_begin_.end() - 1);
  s.centroids_.resize(static_cast<size_t>(k) * dim);
  s.original_id_.resize(k);
  for (int64_t c = 0; c < k; ++c) {
    const int64_t pos = cursor[cell_of[c]]++;
    std::copy_n(centroids + c * dim, dim, s.centroids_.data() + pos * dim);
    s.original_id_[pos] = static_cast<uint32_t>(c);
  }
  s.cells_ = cells;
  s.probe_ = static_cast<int>(std::clamp<int64_t>(options.probe, 1, cells));
  return s;
}

void CentroidSearcher::Nearest(const float* vectors, int64_t n, uint32_t* ids, float* scores) const {
  SetUpBlasThreading();
  if (n <= 0 || k_ == 0) return;
  if (exhaustive()) {
    NearestExhaustive(vectors, n, ids, scores);
  } else {
    NearestProbed(vectors, n, ids, scores);
  }
}

void CentroidSearcher::NearestExhaustive(const float* vectors, int64_t n, uint32_t* ids, float* scores) const {
  // Blocks small enough that [rows, K] stays in cache-friendly sizes.
  const int64_t block = std::max<int64_t>(16, std::min<int64_t>(kBlockRows, (1 << 22) / std::max<int64_t>(k_, 1)));
  tbb::parallel_for(int64_t{0}, (n + block - 1) / block, [&](int64_t b) {
    const int64_t begin = b * block, rows = std::min(block, n - begin);
    std::vector<float> s(static_cast<size_t>(rows) * k_);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k_, dim_, 1.0f, vectors + begin * dim_, dim_,
                centroids_.data(), dim_, 0.0f, s.data(), k_);
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = s.data() + i * k_;
      const int64_t best = std::max_element(row, row + k_) - row;
      ids[begin + i] = static_cast<uint32_t>(best);
      if (scores) scores[begin + i] = row[best];
    }
  });
}

void CentroidSearcher::NearestProbed(const float* vectors, int64_t n, uint32_t* ids, float* scores) const {
  tbb::parallel_for(int64_t{0}, (n + kBlockRows - 1) / kBlockRows, [&](int64_t b) {
    const int64_t begin = b * kBlockRows, rows = std::min(kBlockRows, n - begin);
    const float* x = vectors + begin * dim_;
    // 1. Best `probe_` cells of each vector.
    std::vector<float> cell_scores(static_cast<size_t>(rows) * cells_);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, cells_, dim_, 1.0f, x, dim_, cell_centers_.data(),
                dim_, 0.0f, cell_scores.data(), cells_);
    std::vector<uint32_t> probes(static_cast<size_t>(rows) * probe_);
    std::vector<float> top_score(probe_);
    std::vector<int64_t> per_cell(cells_ + 1, 0);
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = cell_scores.data() + i * cells_;
      uint32_t* top = probes.data() + i * probe_;
      std::fill(top_score.begin(), top_score.end(), -std::numeric_limits<float>::infinity());
      std::fill(top, top + probe_, 0u);
      for (int64_t j = 0; j < cells_; ++j) InsertTopK(row[j], static_cast<uint32_t>(j), top_score.data(), top, probe_);
      for (int p = 0; p < probe_; ++p) ++per_cell[top[p] + 1];
    }
    // 2. Vectors grouped by probed cell (counting sort), then one product per
    //    cell: [vectors probing it] x [its centroids].
    for (int64_t j = 0; j < cells_; ++j) per_cell[j + 1] += per_cell[j];
    std::vector<uint32_t> members(per_cell[cells_]);
    {
      std::vector<int64_t> cursor(per_cell.begin(), per_cell.end() - 1);
      for (int64_t i = 0; i < rows; ++i) {
        for (int p = 0; p < probe_; ++p) members[cursor[probes[i * probe_ + p]]++] = static_cast<uint32_t>(i);
      }
    }
    std::vector<float> best(rows, -std::numeric_limits<float>::infinity());
    std::vector<int64_t> best_pos(rows, -1);
    std::vector<float> gathered, s;
    for (int64_t j = 0; j < cells_; ++j) {
      const int64_t m = per_cell[j + 1] - per_cell[j];
      const int64_t first = cell_begin_[j], width = cell_begin_[j + 1] - first;
      if (m == 0 || width == 0) continue;
      gathered.resize(static_cast<size_t>(m) * dim_);
      for (int64_t r = 0; r < m; ++r) {
        std::copy_n(x + static_cast<int64_t>(members[per_cell[j] + r]) * dim_, dim_, gathered.data() + r * dim_);
      }
      s.resize(static_cast<size_t>(m) * width);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, width, dim_, 1.0f, gathered.data(), dim_,
                  centroids_.data() + first * dim_, dim_, 0.0f, s.data(), width);
      for (int64_t r = 0; r < m; ++r) {
        const float* row = s.data() + r * width;
        const int64_t arg = std::max_element(row, row + width) - row;
        const uint32_t i = members[per_cell[j] + r];
        // Ties go to the lower centroid id, as in the exhaustive search.
        const int64_t pos = first + arg;
        if (row[arg] > best[i] || (row[arg] == best[i] && original_id_[pos] < original_id_[best_pos[i]])) {
          best[i] = row[arg];
          best_pos[i] = pos;
        }
      }
    }
    for (int64_t i = 0; i < rows; ++i) {
      if (best_pos[i] < 0) best_pos[i] = 0;  // only for non-finite input, which callers reject
      ids[begin + i] = original_id_[best_pos[i]];
      if (scores) scores[begin + i] = best[i];
    }
  });
}

}  // namespace lateral

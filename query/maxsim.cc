#include "query/maxsim.h"

#include <cblas.h>

#include "common/blas_threading.h"

#include <algorithm>
#include <limits>

#include "tbb/parallel_for.h"

namespace lateral {

float NaiveMaxSim(const TokenMatrix& query, const TokenMatrix& document) {
  if (document.rows == 0) return 0.0f;
  double total = 0;
  for (int64_t i = 0; i < query.rows; ++i) {
    double best = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < document.rows; ++j) {
      double dot = 0;
      for (int64_t k = 0; k < query.dim; ++k) {
        dot += static_cast<double>(query.data[i * query.dim + k]) * document.data[j * document.dim + k];
      }
      best = std::max(best, dot);
    }
    total += best;
  }
  return static_cast<float>(total);
}

float MaxSim(const TokenMatrix& query, const TokenMatrix& document) {
  if (document.rows == 0 || query.rows == 0) return 0.0f;
  std::vector<float> sims(query.rows * document.rows);
  SetUpBlasThreading();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, query.rows, document.rows, query.dim, 1.0f,
              query.data, query.dim, document.data, document.dim, 0.0f, sims.data(), document.rows);
  float total = 0;
  for (int64_t i = 0; i < query.rows; ++i) {
    const float* row = sims.data() + i * document.rows;
    total += *std::max_element(row, row + document.rows);
  }
  return total;
}

std::vector<float> MaxSimMatrix(absl::Span<const TokenMatrix> queries,
                                absl::Span<const TokenMatrix> documents) {
  std::vector<float> scores(queries.size() * documents.size());
  tbb::parallel_for(size_t{0}, scores.size(), [&](size_t i) {
    scores[i] = MaxSim(queries[i / documents.size()], documents[i % documents.size()]);
  });
  return scores;
}

}  // namespace lateral

// Late-interaction (ColBERT) scoring.
//
// MaxSim(Q, D) = Σ_i max_j q_i · d_j over a query's token vectors Q [nq, dim]
// and a document's D [nd, dim], both row-major float32. NaiveMaxSim is the
// oracle; MaxSim computes the same through one matrix product.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace lateral {

// A borrowed set of token vectors: `rows` vectors of `dim` floats, contiguous.
struct TokenMatrix {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t dim = 0;
};

// Scalar double loop; the reference for every faster scorer.
float NaiveMaxSim(const TokenMatrix& query, const TokenMatrix& document);

// Q·Dᵀ through BLAS, then a max per query row. Documents with no vectors score 0.
float MaxSim(const TokenMatrix& query, const TokenMatrix& document);

// Scores of every query against every document: [queries, documents], row-major.
std::vector<float> MaxSimMatrix(absl::Span<const TokenMatrix> queries,
                                absl::Span<const TokenMatrix> documents);

}  // namespace lateral

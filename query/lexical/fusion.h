// Fusion of ranked lists from different retrievers (BM25 and ColBERT in
// hybrid search) into one ranking. Called by the CLI's search command and the
// benchmarks; pure functions, thread-compatible.
//
// Both functions read each input list as ranked best first (its order is the
// ranking; scores are used only by FuseWeighted). If a doc id appears more than
// once in one list, only its first (best) appearance counts. Output: at most
// `limit` docs by descending fused score; ties broken by ascending doc id, so
// the result does not depend on hash or input-list order. limit == 0 gives an
// empty result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lateral {

struct RankedHit {
  uint32_t doc_id = 0;
  float score = 0;
};

// Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over lists
// containing d of 1 / (rank_constant + rank), rank counted from 1. A negative
// or non-finite rank_constant is replaced by the default 60.
std::vector<RankedHit> FuseReciprocalRank(const std::vector<std::vector<RankedHit>>& lists,
                                          double rank_constant = 60, size_t limit = 10);

// Weighted sum of per-list min-max normalised scores: in list i, a doc with
// score s gets (s - min_i) / (max_i - min_i), or 1 when every score of the
// list is equal; a doc absent from list i gets 0 there. fused = sum of
// weights[i] * normalised_i. A list without a weight (weights shorter than
// lists) gets weight 1; extra weights are ignored. Non-finite scores count as
// the list's minimum.
std::vector<RankedHit> FuseWeighted(const std::vector<std::vector<RankedHit>>& lists,
                                    const std::vector<double>& weights, size_t limit);

}  // namespace lateral

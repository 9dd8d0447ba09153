// Top-k documents for a multi-vector query, PLAID-style (RETRIEVAL.md §3):
//   1. centroid scores S = C · Qᵀ (int8 kernel, kernels/centroid_scores.h);
//   2. candidates: documents with a token in the top-`ncells` centroids of
//      some query token -- or, under a selective filter, every allowed
//      document (see below);
//   3. centroid interaction with pruning: a candidate scores
//      Σ_i max_{its tokens t} S[c(t)][i], skipping tokens whose centroid's best
//      score is below `centroid_score_threshold`; keep the top `ndocs`;
//   4. the same without pruning on those; keep the top max(ndocs / 4, k);
//   5. decompression and exact MaxSim (float32) on the survivors.
// When scoring every candidate exactly is cheap (`exact_budget`), stages 3-4
// are skipped and all candidates go to stage 5.
//
// Filters are applied while generating candidates, not after ranking: when
// the allowed documents are few (<= `filter_scan_limit`) all of them are
// candidates, so a filter matching 1% of a collection still yields its true
// top-k; otherwise the probe widens (2x cells per round) until `ndocs`
// allowed candidates turn up.
//
// Exhaustive() decompresses every (allowed) document and scores it exactly:
// the ground truth the fast path is tested and benchmarked against.
//
// PlaidSearcher shares the immutable SearchableIndex and owns the int8
// centroid table. Const methods are thread-safe; Search uses oneTBB inside
// stages, SearchBatch runs queries in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "index/metadata_filter.h"
#include "index/searchable_index.h"
#include "query/kernels/centroid_scores.h"
#include "query/maxsim.h"

namespace lateral {

struct SearchOptions {
  int k = 10;
  // 0 / negative: chosen from k (ResolveSearchOptions): k <= 10: 4 cells,
  // threshold 0.5, 512 docs; k <= 100: 8, 0.45, 2048; larger: 16, 0.4,
  // max(8k, 8192) -- PLAID's thresholds, four times its cells and twice its
  // ndocs; see docs/SEARCH.md for the measurements.
  int ncells = 0;
  float centroid_score_threshold = -1.0f;
  int ndocs = 0;
  // Filters (either or both): a metadata filter evaluated on the index's
  // metadata columns, and/or a bitmap over slots (1 = allowed).
  const MetadataFilter* filter = nullptr;
  const std::vector<uint8_t>* allowed_slots = nullptr;
  // Up to this many allowed documents are all taken as candidates.
  int64_t filter_scan_limit = 200000;
  // When exact MaxSim of all candidates takes at most this many
  // multiply-adds (tokens x query tokens x dim), stages 3-4 are skipped and
  // every candidate is scored exactly: 2^28 is ~2-3 ms with the AVX-512
  // kernel. 0 always runs the approximation.
  int64_t exact_budget = int64_t{1} << 28;
};

struct SearchHit {
  uint32_t doc_id;  // internal id (StoreSnapshot::GetDocument gives the record)
  float score;      // exact MaxSim on the decompressed vectors
};

// Per-stage wall times and counts of one search, for --profile output.
struct SearchProfile {
  double filter_ms = 0, centroid_scores_ms = 0, candidates_ms = 0, pruned_interaction_ms = 0,
         full_interaction_ms = 0, exact_ms = 0, total_ms = 0;
  int64_t allowed = -1;  // documents passing the filter; -1 without one
  int64_t kept_centroids = 0;  // centroids at or above the threshold
  int64_t cells_probed = 0, candidates = 0, after_pruning = 0, exact_scored = 0;
};

// Fills the zero/negative knobs of `options` from k.
SearchOptions ResolveSearchOptions(const SearchOptions& options);

class PlaidSearcher {
 public:
  explicit PlaidSearcher(std::shared_ptr<const SearchableIndex> index);

  const SearchableIndex& index() const { return *index_; }

  absl::StatusOr<std::vector<SearchHit>> Search(const TokenMatrix& query, const SearchOptions& options,
                                                SearchProfile* profile = nullptr) const;
  // Queries in parallel; results (and profiles, when given) in query order.
  std::vector<absl::StatusOr<std::vector<SearchHit>>> SearchBatch(absl::Span<const TokenMatrix> queries,
                                                                  const SearchOptions& options,
                                                                  std::vector<SearchProfile>* profiles = nullptr) const;
  // Exact MaxSim over every allowed document (options.k, filters; the
  // PLAID knobs are ignored).
  absl::StatusOr<std::vector<SearchHit>> Exhaustive(const TokenMatrix& query, const SearchOptions& options) const;

 private:
  std::shared_ptr<const SearchableIndex> index_;
  CentroidScorer scorer_;
};

}  // namespace lateral

// Re-clustering a collection: new centroids and codes for every document,
// trained on what the collection holds now.
//
// Incremental adds reuse the centroids trained at build time; when the
// collection drifts (many documents replaced, new topics), its vectors fit
// those centroids worse and candidate generation loses recall. Recluster
// reads every live document of a store, draws the vectors again -- from a
// caller's `revectorize` (the CLI re-encodes the stored text; this is exact)
// or, without one, from the stored codes (decompressed, so twice quantised)
// -- builds a complete new store beside the old one, and swaps the
// directories. The old store stays untouched until the swap, so a failure or
// a crash before it loses nothing; the swap is two renames.
//
// EstimateDrift measures, from the stored codes alone, how much worse the
// stored vectors fit the centroids than at training time, to decide when
// re-clustering is worthwhile.
//
// Callers: the CLI and tests. The store at `path` must not be open elsewhere.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/index_builder.h"
#include "storage/collection_store.h"

namespace lateral {

// Fills vectors[i] ([tokens, dim]) for each stored document from its record;
// called with a batch of records at a time so an encoder can batch them.
using Revectorize = std::function<absl::Status(const std::vector<const DocumentRecord*>& records,
                                               std::vector<std::vector<float>>& vectors)>;

struct ReclusterStats {
  BuildStats build;
  std::string previous_store;  // where the old store was moved to (removed unless keep_previous)
};

struct ReclusterOptions {
  BuildOptions build;
  Revectorize revectorize;     // empty: decompress the stored codes
  bool keep_previous = false;  // keep the old store at `<path>.previous`
};

absl::StatusOr<ReclusterStats> Recluster(const std::string& path, const ReclusterOptions& options);

struct DriftReport {
  int64_t documents = 0;
  int64_t sampled_tokens = 0;
  // Residual components in the outermost buckets (below the first cutoff or
  // above the last). The cutoffs are quantiles of held-out residuals at
  // training time, so a collection that still fits its centroids has
  // `expected_outer_fraction` (2 / 2^nbits) there; vectors that moved away
  // from the centroids push more components outward.
  double outer_fraction = 0, expected_outer_fraction = 0;
  bool recluster_advised = false;  // outer_fraction - expected > threshold (never for nbits = 1)
};

// Reads up to `sample_documents` documents spread over the collection.
absl::StatusOr<DriftReport> EstimateDrift(const StoreSnapshot& snapshot, int64_t sample_documents = 20000,
                                          double threshold = 0.08);

}  // namespace lateral

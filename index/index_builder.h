// Building and growing an index in a CollectionStore.
//
// BuildIndex is the streaming build: it samples documents, trains the codec
// (k-means centroids and bucket tables) on the sample, stores it, then
// encodes and writes every document in batches, so memory is bounded by the
// sample (~points_per_centroid x K vectors) plus one batch, whatever the
// collection size. AddDocuments encodes new documents against the stored
// centroids, with no rebuild. Deletes go straight to the store.
//
// Documents come from a DocumentSource with random access, so the sample can
// be drawn before everything is produced (an encoder then runs once per
// sampled document and once per document). Callers: the CLI, benchmarks,
// tests. Not thread-safe per store: run one build or add at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/residual_codec.h"
#include "storage/collection_store.h"

namespace lateral {

// One document's record and token vectors ([num_tokens, dim], row-major).
struct DocumentVectors {
  DocumentRecord record;
  std::vector<float> vectors;
};

class DocumentSource {
 public:
  virtual ~DocumentSource() = default;
  virtual int64_t size() const = 0;
  // Documents [begin, end) in order into `out` (resized). May run in parallel.
  virtual absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) = 0;
  // The documents at `indices` (any order), for sampling; by default one
  // Get per index.
  virtual absl::Status GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out);
};

struct BuildProgress {
  const char* phase = "";  // "sampling", "training", "encoding"
  int64_t done = 0, total = 0;  // documents
  int64_t tokens = 0;            // encoded so far
  double seconds = 0;            // since the build started
};

struct BuildOptions {
  CodecOptions codec;
  // Documents sampled for k-means: 0 = PLAID's rule, 16 * sqrt(120 * N),
  // capped so the sample holds about points_per_centroid vectors per centroid.
  int64_t sample_documents = 0;
  int points_per_centroid = 32;
  int64_t batch_documents = 1024;  // per store write
  std::function<void(const BuildProgress&)> progress;  // called after each batch
};

struct BuildStats {
  int64_t documents = 0, tokens = 0;
  int64_t sample_documents = 0, sample_tokens = 0, centroids = 0;
  // encode_seconds covers the encoding phase: producing the vectors
  // (source_seconds of it: an encoder model, or a synthetic generator) plus
  // compressing and writing them.
  double sample_seconds = 0, train_seconds = 0, encode_seconds = 0, source_seconds = 0, total_seconds = 0;
  // Compression + writing throughput, the source's time excluded.
  double tokens_per_second() const {
    return encode_seconds > source_seconds ? tokens / (encode_seconds - source_seconds) : 0;
  }
};

// Trains a codec on a sample of `source` and writes every document into
// `store`, which must be empty of documents (a codec already there is
// replaced). Documents with an external id seen earlier in the source replace
// the earlier one (Upsert semantics) -- but within one batch a duplicate is an
// error naming it. Errors from the source or store stop the build; documents
// written before stay (each batch is atomic).
absl::StatusOr<BuildStats> BuildIndex(CollectionStore& store, DocumentSource& source, const BuildOptions& options);

// Encodes and upserts `source` with the store's codec (no retraining).
absl::StatusOr<BuildStats> AddDocuments(CollectionStore& store, DocumentSource& source, const BuildOptions& options);

// The codec stored in `snapshot`; FailedPrecondition when there is none.
absl::StatusOr<ResidualCodec> LoadCodec(const StoreSnapshot& snapshot,
                                        const CentroidSearcherOptions& assignment = {});

// Checks one document's vectors: a whole number of `dim`-wide rows, at least
// one, all finite. Errors name the document's external id.
absl::Status ValidateDocumentVectors(const DocumentVectors& document, int dim);

}  // namespace lateral

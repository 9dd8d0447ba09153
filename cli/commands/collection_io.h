// What `lateral index` and `lateral search` share: documents from JSON Lines,
// a DocumentSource that encodes them with the ColBERT model, build progress
// on stderr, opening a store and checking that the model in use built it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "encoder/colbert/colbert_encoder.h"
#include "index/index_builder.h"
#include "storage/collection_store.h"

namespace lateral::cli {

// Reads every line of a JSON Lines file ("-" reads stdin), one document per
// line: {"id": "...", "text": "...", "metadata": {"lang": "en", "year": 2020}}.
// The whole file is validated before anything is returned, so a bad line
// leaves the store untouched: errors name FILE:LINE and the field (invalid
// JSON, a missing or empty id or text, a metadata value that is neither a
// string nor a number, an unknown top-level field, an id seen on an earlier
// line). Blank lines are skipped; an empty file is an error.
absl::StatusOr<std::vector<DocumentRecord>> ReadDocumentsJsonl(const std::string& path);

// Documents held in memory, encoded on demand with EncodeDocuments (one call
// per Get / GetSome, i.e. per batch). The build encodes its k-means sample
// before the full pass; those vectors are kept (up to `cache_bytes`) so that
// the sampled documents are not encoded twice.
class EncoderDocumentSource : public DocumentSource {
 public:
  EncoderDocumentSource(const ColbertEncoder& encoder, const std::vector<DocumentRecord>& records,
                        size_t cache_bytes = size_t{256} << 20)
      : encoder_(encoder), records_(records), cache_budget_(cache_bytes) {}

  int64_t size() const override { return static_cast<int64_t>(records_.size()); }
  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override;
  absl::Status GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) override;

 private:
  absl::Status Fetch(const std::vector<int64_t>& indices, bool keep, std::vector<DocumentVectors>& out);

  const ColbertEncoder& encoder_;
  const std::vector<DocumentRecord>& records_;
  size_t cache_budget_;
  size_t cache_bytes_ = 0;
  absl::flat_hash_map<int64_t, std::vector<float>> cache_;
};

// Reports BuildIndex / AddDocuments progress on stderr: a bar redrawn in
// place when stderr is a terminal, else one line about every 10 seconds (so
// logs of long builds stay short).
class ProgressPrinter {
 public:
  ProgressPrinter();
  void Update(const BuildProgress& progress);
  // Ends the bar's line; call once the build is over, whatever its outcome.
  void Finish();

 private:
  bool tty_;
  bool drawn_ = false;
  double last_print_ = -1;
  double encoding_started_ = -1;
};

// The manifest a store built with `encoder` carries.
Manifest ManifestFor(const ColbertEncoder& encoder, int nbits);

// Opens an existing store; a missing one is NotFound with a hint to create it.
absl::StatusOr<std::unique_ptr<CollectionStore>> OpenExistingStore(const std::string& path);

// Fails when `store` was built by another encoder than `encoder` (FailedPrecondition
// naming both identities), so that query vectors are never compared with
// document vectors of another model.
absl::Status CheckStoreEncoder(const CollectionStore& store, const std::string& store_path,
                               const ColbertEncoder& encoder, const std::string& model_dir);

// Loads a ColBERT model, with a clear error for a directory that is not one.
absl::StatusOr<std::unique_ptr<ColbertEncoder>> LoadColbert(const std::string& model_dir,
                                                             std::optional<Precision> precision = std::nullopt);

// Tokens stored in a snapshot (a scan of every document's codes).
absl::StatusOr<int64_t> CountTokens(const StoreSnapshot& snapshot);

// Metadata as a JSON object; integral numbers print without a fraction.
Json MetadataToJson(const std::map<std::string, MetadataValue>& metadata);

// "12.3 MiB"-style size, for humans.
std::string HumanBytes(uint64_t bytes);

// The first `max_chars` characters (UTF-8 code points) of `text` on one
// line: line breaks and tabs become spaces, and a cut is marked with "...".
std::string Snippet(const std::string& text, size_t max_chars);

}  // namespace lateral::cli

// Files and folders into a collection: the pipeline behind `lateral add`.
//
// Ingest walks the given paths (ingest/walk), and for every supported file
// decides from the stored SourceRecord whether it changed (size and mtime
// first, then the SHA-256 of its bytes), extracts and chunks it into
// passages (ingest/pipeline/passages.h), analyses each passage for BM25
// (index/lexical/analyzer.h) and, when the collection has an encoder,
// encodes it with ColBERT and compresses the vectors with the collection's
// codec. Each file's change -- its new passages, the deletion of its old
// ones and its SourceRecord -- is written by one atomic CollectionStore::Apply,
// which consecutive small files share (up to 1,024 files or 8,192 passages). Kill the
// process at any point and every file is either fully in its old state or
// fully in its new one; run Ingest again and it picks up where it stopped.
// Sources under a walked directory whose files no longer exist are removed.
//
// The stages overlap (oneTBB parallel_pipeline): reading, hashing, parsing,
// chunking, analysis and encoding run in parallel over files, while codes and
// writes happen in file order on one thread. A collection with an encoder
// but no codec yet trains one (k-means) on the first ~256k token vectors of
// this run before writing them.
//
// Not thread-safe against another Ingest on the same store (the store's lock
// keeps other processes out).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/colbert/colbert_encoder.h"
#include "index/lexical/analyzer.h"
#include "ingest/formats/extract.h"
#include "ingest/pipeline/passages.h"
#include "ingest/walk/file_walker.h"
#include "storage/collection_store.h"

namespace lateral::ingest {

struct IngestProgress {
  int64_t files_done = 0, files_total = 0;
  int64_t bytes_done = 0, bytes_total = 0;
  int64_t passages = 0;        // written so far
  int64_t tokens = 0;          // analysed (BM25) tokens written so far
  int64_t encoded_tokens = 0;  // ColBERT token vectors written so far
  double seconds = 0;
  std::string phase;           // "scanning", "ingesting", "training", "removing"
};

struct IngestOptions {
  WalkOptions walk;
  ExtractOptions extract;
  std::optional<Format> forced_format;  // --format: every file is read as this format
  int chunk_tokens = 256;               // passage length in model tokens (approximate tokens without a model)
  int overlap_tokens = 32;
  const Analyzer* analyzer = nullptr;          // required
  const ColbertEncoder* encoder = nullptr;     // null: BM25 only
  // Describes everything above that shapes the stored passages (formats'
  // field options, chunking, analyser, encoder). A source stored under
  // another fingerprint is re-ingested even when its bytes are unchanged.
  std::string settings_fingerprint;
  // When set, the fingerprint of a file of the given format (so that, say,
  // JSON Lines field options do not re-ingest Markdown files); else
  // settings_fingerprint for every file.
  std::function<std::string(Format)> fingerprint_for_format;
  bool remove_missing = true;
  std::function<void(const IngestProgress&)> progress;  // called from one thread
  std::function<bool()> should_stop;                    // polled; true stops after the files in flight
  int64_t codec_sample_tokens = int64_t{1} << 18;       // vectors buffered to train a missing codec
  // Passages per atomic write (several small files share one; a larger file
  // is split over several). 0: 8,192 without an encoder, 256 with one (an
  // encoded passage is expensive to redo after a kill). Tests set it small.
  size_t passages_per_write = 0;
};

struct FileIssue {
  std::string path;
  std::string message;
};

struct IngestReport {
  int64_t files_seen = 0;
  int64_t added = 0, updated = 0, unchanged = 0, removed = 0;
  int64_t passages_written = 0, passages_deleted = 0;
  int64_t tokens = 0, encoded_tokens = 0;
  int64_t bytes_read = 0;
  int64_t codec_centroids = 0;  // > 0 when this run trained the codec
  std::vector<FileIssue> skipped;  // not ingested by design: binary, empty, unsupported, too large, ...
  std::vector<FileIssue> failed;   // errors: unreadable, invalid encoding, broken PDF, ...
  double seconds = 0;
  bool cancelled = false;
};

// Ingests `paths` (files or folders) into `store`. A per-file error is
// recorded in the report and the file is left as it was; an error that
// concerns the store (disk full, damaged store) stops the run and is
// returned, with everything written before it intact.
absl::StatusOr<IngestReport> Ingest(CollectionStore& store, const std::vector<std::string>& paths,
                                    const IngestOptions& options);

// Removes the sources at `paths` (a file's absolute path, or a folder: every
// source under it) with their passages, one atomic write per source. Returns
// the number of sources removed; NotFound when nothing matched a path.
absl::StatusOr<int64_t> RemoveSources(CollectionStore& store, const std::vector<std::string>& paths);

// Absolute, lexically normal form of `path` (relative to the working
// directory), as sources are stored.
std::string AbsolutePath(const std::string& path);

}  // namespace lateral::ingest

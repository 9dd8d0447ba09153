// The durable state of one collection, in RocksDB: the single source of truth.
//
// CollectionStore owns the RocksDB instance. What it holds (column families
// and key layout are documented in docs/STORAGE.md):
//   - the manifest: format version and the encoder's identity (model, dim,
//     prefixes, lengths), written once at creation and checked on open;
//   - the codec: centroids [K, dim] float32, bucket cutoffs and weights, nbits;
//   - documents: internal id (uint32, never reused) -> external id, text,
//     metadata fields (string or number);
//   - external id -> internal id;
//   - per-document token codes: centroid id per token + packed residual codes,
//     kept with the tokens grouped by centroid (see DocumentCodes);
//   - inverted lists: for each centroid, the internal ids of the documents
//     with a token in it, in segments of 65536 ids updated by RocksDB merges.
// Every Upsert / Delete call is one atomic WriteBatch: after a crash (kill -9
// at any point) a reopened store holds each document fully or not at all,
// and never a posting without its document. Readers see a consistent
// snapshot while writes go on. Thread-safe: any number of concurrent readers
// and writers (writes are serialised internally). Errors name the store path
// and, for damaged data, the key (DataLoss); a full disk is ResourceExhausted
// and leaves the batch unapplied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace lateral {

// What produced the vectors; an index refuses to open with another encoder.
struct Manifest {
  int format_version = 2;        // of lateral's on-disk layout; set by the store
  std::string encoder_identity;  // e.g. ColbertEncoder::Identity(), or "synthetic:dim128"
  int dim = 0;
  int nbits = 0;
};

using MetadataValue = std::variant<std::string, double>;

struct DocumentRecord {
  std::string external_id;
  std::string text;
  std::map<std::string, MetadataValue> metadata;
};

// A document's tokens: token i has centroid centroid_ids[i] and residual
// codes residual_codes[i * code_bytes, (i + 1) * code_bytes).
//
// Token order is not preserved. The store keeps a document's tokens grouped
// by centroid (MaxSim does not depend on their order, and grouping halves the
// size of the ids on disk): what GetCodes and ForEachCodes return lists the
// tokens by ascending centroid id, stable within a centroid (tokens of one
// centroid keep their relative order), with the residual codes permuted
// alike. Upsert accepts any order.
struct DocumentCodes {
  std::vector<uint32_t> centroid_ids;  // one per token
  std::string residual_codes;          // num_tokens * code_bytes, packed
};

struct DocumentWrite {
  DocumentRecord record;
  DocumentCodes codes;
};

struct CodecParts {
  int dim = 0;
  int nbits = 0;
  std::vector<float> centroids;       // [K, dim]
  std::vector<float> bucket_cutoffs;  // [2^nbits - 1]
  std::vector<float> bucket_weights;  // [2^nbits]
};

// How a store is opened; none of these is persisted, so each Open may differ.
struct StoreOptions {
  // fsync the write-ahead log before Upsert / Delete / PutCodec return. Off,
  // an acknowledged write survives a crash of the process (kill -9: the WAL
  // record is already in the kernel's page cache) but not of the machine
  // (power loss, kernel panic), which may lose the last writes -- never half
  // of one: each call is one WriteBatch. On, each write costs an fsync.
  // Default: false.
  bool sync_writes = false;
  // Shared LRU block cache for all column families, in bytes. Search reads
  // codes by full scans that bypass the cache, so it serves point lookups
  // (documents, external ids) and index/filter blocks. Default: 32 MiB.
  size_t block_cache_bytes = size_t{32} << 20;
  // Memtable size per large column family (documents, codes, postings), in
  // bytes: bigger batches ingest faster, smaller ones flush sooner (tests use
  // small values to exercise flushes). Default: 32 MiB.
  size_t write_buffer_bytes = size_t{32} << 20;
};

class CollectionStore;

// A consistent read view (a RocksDB snapshot). Cheap to create; hold it for the
// duration of one search. Valid while its store lives.
class StoreSnapshot {
 public:
  virtual ~StoreSnapshot() = default;
  virtual absl::StatusOr<std::optional<CodecParts>> GetCodec() const = 0;
  virtual absl::StatusOr<std::optional<uint32_t>> LookupExternalId(const std::string& external_id) const = 0;
  virtual absl::StatusOr<std::optional<DocumentRecord>> GetDocument(uint32_t doc_id) const = 0;
  // Tokens grouped by ascending centroid id (see DocumentCodes).
  virtual absl::StatusOr<std::optional<DocumentCodes>> GetCodes(uint32_t doc_id) const = 0;
  // The lookups return nullopt for an absent key.
  // Internal ids of documents with a token in `centroid`, ascending, each
  // once. DataLoss naming the key when a stored segment is damaged.
  virtual absl::StatusOr<std::vector<uint32_t>> GetPostings(uint32_t centroid) const = 0;
  // Calls `fn` for every live document's codes in ascending id order (tokens
  // grouped by centroid, as GetCodes); stops and returns the error if `fn`
  // fails.
  virtual absl::Status ForEachCodes(
      const std::function<absl::Status(uint32_t doc_id, const DocumentCodes&)>& fn) const = 0;
  virtual absl::Status ForEachDocument(
      const std::function<absl::Status(uint32_t doc_id, const DocumentRecord&)>& fn) const = 0;
  // Live documents at this snapshot; -1 if the store's counter is unreadable
  // (a damaged store; the other methods report the error).
  virtual int64_t NumDocuments() const = 0;
};

class CollectionStore {
 public:
  virtual ~CollectionStore() = default;

  // Opens the store at `path`. With `create` set, creates it when absent
  // (writing the manifest) and, when present, refuses it unless its manifest
  // matches (encoder identity, dim, nbits) and its format version is known.
  // Without `create`, the store must exist. Errors name the path and field:
  // FailedPrecondition for another encoder ("index built by encoder X, you
  // are using Y"), a newer format, an older format (the store must be
  // rebuilt), a path that is not a lateral store or a store already open;
  // NotFound for a missing store; DataLoss for damaged files. The first
  // overload uses default StoreOptions.
  static absl::StatusOr<std::unique_ptr<CollectionStore>> Open(const std::string& path,
                                                               const std::optional<Manifest>& create);
  static absl::StatusOr<std::unique_ptr<CollectionStore>> Open(const std::string& path,
                                                               const std::optional<Manifest>& create,
                                                               const StoreOptions& options);

  virtual const Manifest& manifest() const = 0;

  // Stores or replaces the codec (centroids, tables); dim and nbits must match
  // the manifest, and the tables hold 2^nbits - 1 cutoffs and 2^nbits weights
  // (InvalidArgument otherwise). Only while the store holds no documents,
  // whose codes refer to the current centroids (FailedPrecondition otherwise).
  virtual absl::Status PutCodec(const CodecParts& codec) = 0;

  // Adds or replaces documents by external id, atomically as one batch. A
  // replaced document gets a new internal id; its old codes and postings go.
  // Fails without writing anything: FailedPrecondition when no codec is
  // stored yet; InvalidArgument on a duplicate external id within the batch,
  // an empty (or > 4096-byte) external id, a document without tokens, codes
  // whose sizes disagree with the manifest, or a centroid id >= the codec's
  // number of centroids. Returns the internal ids, in order. An empty batch
  // writes nothing.
  virtual absl::StatusOr<std::vector<uint32_t>> Upsert(absl::Span<const DocumentWrite> documents) = 0;

  // Deletes by external id, atomically; unknown ids are reported as NotFound
  // and nothing is deleted. An id given twice is deleted once.
  virtual absl::Status Delete(absl::Span<const std::string> external_ids) = 0;

  // A consistent view of the current state; cheap (no copy).
  virtual std::unique_ptr<StoreSnapshot> Snapshot() const = 0;

  // Bytes on disk (SST + WAL + RocksDB MANIFEST files), for bytes-per-token
  // reports.
  virtual absl::StatusOr<uint64_t> DiskBytes() const = 0;
  // Flushes memtables and compacts every column family to the bottom level
  // (dropping deleted documents), so DiskBytes reflects the data.
  virtual absl::Status Compact() = 0;
};

}  // namespace lateral

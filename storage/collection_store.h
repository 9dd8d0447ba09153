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
//     with a token in it, in segments of 65536 ids updated by RocksDB merges;
//   - lexical (BM25) postings: for each analysed term, (doc id, term
//     frequency, document length) per document, with collection statistics,
//     and each document's terms (to remove its postings when it goes);
//   - sources: one record per ingested file (content hash, size, mtime, the
//     documents it produced), for incremental re-ingest;
//   - settings: small key/value collection metadata (analyser identity, chunk
//     size, ...) that must never drift from the data.
// A store without a dense encoder (Manifest::IsLexicalOnly) holds documents
// with lexical terms but no codes, and no codec.
// Every Apply / Upsert / Delete call is one atomic WriteBatch: after a crash
// (kill -9 at any point) a reopened store holds each write fully or not at
// all (documents, postings, lexical postings and stats, sources, settings),
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
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/lexical_types.h"

namespace lateral {

// What produced the vectors; an index refuses to open with another encoder.
// A manifest with encoder_identity "" and dim = nbits = 0 describes a
// lexical-only collection: documents carry lexical terms and no codes, and
// the store holds no codec. (Re-indexing with an encoder builds a new store.)
struct Manifest {
  int format_version = 3;        // of lateral's on-disk layout; set by the store
  std::string encoder_identity;  // e.g. ColbertEncoder::Identity(), or "synthetic:dim128"
  int dim = 0;
  int nbits = 0;

  bool IsLexicalOnly() const { return encoder_identity.empty() && dim == 0 && nbits == 0; }
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
  DocumentCodes codes;  // empty in a lexical-only store, required otherwise
  // Terms for BM25; may be empty (the document then has no lexical postings
  // and does not count in LexicalStats). Rules: see CollectionStore::Apply.
  LexicalTerms lexical;
};

// One ingested file, as the ingest pipeline last saw it: enough to tell
// whether it changed (hash, size, mtime, the settings it was indexed with)
// and which documents to replace when it did. Keyed by `path`.
struct SourceRecord {
  std::string path;                  // UTF-8, 1 to 4096 bytes; the key
  std::string content_sha256;        // as the caller computes it (hex or raw)
  uint64_t size = 0;                 // bytes
  int64_t mtime_ns = 0;              // modification time, ns since the epoch
  std::string format;                // e.g. "markdown", "pdf"
  std::string settings_fingerprint;  // of the ingest settings that produced document_ids
  std::vector<std::string> document_ids;  // external ids of the documents it produced
  int64_t indexed_at_unix = 0;            // seconds since the epoch

  bool operator==(const SourceRecord&) const = default;
};

// Everything one update of a collection writes, applied as one atomic batch
// by CollectionStore::Apply.
struct CollectionWrite {
  std::vector<DocumentWrite> upserts;
  // External ids to delete. An unknown id is NotFound and nothing is written.
  // An id both deleted and upserted is replaced (as an upsert alone would).
  std::vector<std::string> deletes;
  // Source records to store or replace (by path).
  std::vector<SourceRecord> put_sources;
  // Paths whose source records go; unknown paths are ignored. A path both
  // deleted and put ends up with the put record.
  std::vector<std::string> delete_sources;
  // Settings to store or replace (see CollectionStore::PutSetting), written
  // with the data so the two cannot drift apart.
  std::vector<std::pair<std::string, std::string>> put_settings;

  bool empty() const {
    return upserts.empty() && deletes.empty() && put_sources.empty() && delete_sources.empty() &&
           put_settings.empty();
  }
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
  // Open without writing (RocksDB's OpenForReadOnly): works while another
  // process holds the store open for writing (e.g. `lateral search` while
  // `lateral add` runs) and sees the store as of the open. Every write
  // (Apply, Upsert, Delete, PutCodec, PutSetting, Compact) then returns
  // FailedPrecondition ("opened read-only"). Never creates nor upgrades a
  // store: `create` only checks the manifest. Default: false.
  bool read_only = false;
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
  // RocksDB's sequence number at this snapshot. Every committed write raises
  // it and nothing else changes it (flushes and compactions keep it), so two
  // snapshots with the same number see the same data: derived caches (the
  // mapped search index) record it to know whether they are current.
  virtual uint64_t SequenceNumber() const = 0;

  // --- Lexical (BM25) side ---
  // The postings of `term` (exact bytes), by ascending doc id; empty when the
  // term is absent. One prefix scan. DataLoss naming the key if damaged.
  virtual absl::StatusOr<std::vector<LexicalPosting>> GetLexicalPostings(std::string_view term) const = 0;
  // Live documents with >= 1 lexical term and the sum of their lengths.
  virtual absl::StatusOr<LexicalStats> GetLexicalStats() const = 0;
  // The terms stored for one document (sorted by term), nullopt when it has
  // none or does not exist.
  virtual absl::StatusOr<std::optional<LexicalTerms>> GetLexicalTerms(uint32_t doc_id) const = 0;

  // --- Sources (ingested files) ---
  virtual absl::StatusOr<std::optional<SourceRecord>> GetSource(std::string_view path) const = 0;
  // Every source record in path (bytewise) order; stops at fn's first error.
  virtual absl::Status ForEachSource(const std::function<absl::Status(const SourceRecord&)>& fn) const = 0;
  // Number of source records, from a counter kept in the same batches (O(1)).
  virtual absl::StatusOr<int64_t> NumSources() const = 0;

  // --- Settings ---
  virtual absl::StatusOr<std::optional<std::string>> GetSetting(std::string_view key) const = 0;
  // Every setting in key (bytewise) order; stops at fn's first error.
  virtual absl::Status ForEachSetting(
      const std::function<absl::Status(std::string_view key, std::string_view value)>& fn) const = 0;
};

class CollectionStore {
 public:
  virtual ~CollectionStore() = default;

  // Opens the store at `path`. With `create` set, creates it when absent
  // (writing the manifest) and, when present, refuses it unless its manifest
  // matches (encoder identity, dim, nbits) and its format version is known.
  // Without `create`, the store must exist. A format-2 store (before lexical
  // postings and sources) is upgraded in place to format 3 by a writable
  // open (it then has no lexical data and no sources); a read-only open
  // reads it as is. Errors name the path and field: FailedPrecondition for
  // another encoder ("index built by encoder X, you are using Y"), a newer
  // format, a format older than 2 (the store must be rebuilt), a path that is
  // not a lateral store, or a store held by another writer ("the collection
  // is in use by another lateral process"); NotFound for a missing store;
  // DataLoss for damaged files. The first overload uses default StoreOptions.
  static absl::StatusOr<std::unique_ptr<CollectionStore>> Open(const std::string& path,
                                                               const std::optional<Manifest>& create);
  static absl::StatusOr<std::unique_ptr<CollectionStore>> Open(const std::string& path,
                                                               const std::optional<Manifest>& create,
                                                               const StoreOptions& options);

  virtual const Manifest& manifest() const = 0;

  // Stores or replaces the codec (centroids, tables); dim and nbits must match
  // the manifest, and the tables hold 2^nbits - 1 cutoffs and 2^nbits weights
  // (InvalidArgument otherwise). Only while the store holds no documents,
  // whose codes refer to the current centroids, and never in a lexical-only
  // store (FailedPrecondition otherwise).
  virtual absl::Status PutCodec(const CodecParts& codec) = 0;

  // Applies one CollectionWrite as one atomic WriteBatch: deletes, then
  // upserts, then source deletes, source puts and settings. Returns the
  // internal ids of the upserts, in order. A replaced document (upserted
  // while it exists, whether or not also deleted) gets a new internal id; its
  // old codes, postings, lexical postings and terms go, and the lexical
  // stats follow. Fails without writing anything:
  //   FailedPrecondition: opened read-only; no codec stored yet (stores with
  //     an encoder, when there are upserts);
  //   NotFound: a delete of an unknown external id;
  //   InvalidArgument (naming the document, term or path): a duplicate
  //     external id among the upserts; an empty or > 4096-byte external id;
  //     in a store with an encoder, a document without tokens, codes whose
  //     sizes disagree with the manifest or a centroid id >= K; in a
  //     lexical-only store, a document with codes; lexical terms that are
  //     empty, hold a NUL byte, exceed 255 bytes or repeat within a
  //     document, a frequency 0, or a length != the sum of the frequencies;
  //     a source path that is empty, > 4096 bytes or put twice; a bad setting.
  // An empty write writes nothing.
  virtual absl::StatusOr<std::vector<uint32_t>> Apply(const CollectionWrite& write) = 0;

  // Apply with upserts only.
  virtual absl::StatusOr<std::vector<uint32_t>> Upsert(absl::Span<const DocumentWrite> documents) = 0;

  // Deletes by external id, atomically; unknown ids are reported as NotFound
  // and nothing is deleted. An id given twice is deleted once.
  virtual absl::Status Delete(absl::Span<const std::string> external_ids) = 0;

  // Stores or replaces one setting, atomically. Key: 1 to 4096 bytes; value:
  // up to 1 MiB (InvalidArgument otherwise).
  virtual absl::Status PutSetting(std::string_view key, std::string_view value) = 0;

  // True when opened with StoreOptions::read_only.
  virtual bool read_only() const = 0;

  // A consistent view of the current state; cheap (no copy).
  virtual std::unique_ptr<StoreSnapshot> Snapshot() const = 0;

  // Bytes on disk (SST + WAL + RocksDB MANIFEST files), for bytes-per-token
  // reports.
  virtual absl::StatusOr<uint64_t> DiskBytes() const = 0;
  // Writes the memtables to SST files (and so empties the write-ahead log),
  // so that a later read-only open -- `lateral search` -- does not replay the
  // log: replaying hundreds of MB takes seconds. Cheap when little changed.
  virtual absl::Status Flush() = 0;

  // Flushes memtables and compacts every column family to the bottom level
  // (dropping deleted documents), so DiskBytes reflects the data.
  virtual absl::Status Compact() = 0;
};

}  // namespace lateral

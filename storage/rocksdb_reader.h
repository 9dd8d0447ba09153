// storage/ private header: decoding reads of a store's column families.
//
// RocksDbReader turns keys into typed values (DocumentRecord, DocumentCodes,
// the codec, postings), at a given rocksdb::Snapshot or, with a null one, at
// the latest state. Shared by StoreSnapshot (searches) and the write path
// (which checks the current state under the store's write lock), so both
// decode and validate the same way. Errors name the store path and the key.
// Thread-safe (RocksDB reads are); holds no state but the handles.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "storage/collection_store.h"
#include "storage/record_codec.h"

namespace lateral::storage {

// Handles of our column families; owned by whoever opened the database.
struct Families {
  rocksdb::ColumnFamilyHandle* manifest = nullptr;
  rocksdb::ColumnFamilyHandle* codec = nullptr;
  rocksdb::ColumnFamilyHandle* counters = nullptr;
  rocksdb::ColumnFamilyHandle* documents = nullptr;
  rocksdb::ColumnFamilyHandle* external_ids = nullptr;
  rocksdb::ColumnFamilyHandle* codes = nullptr;
  rocksdb::ColumnFamilyHandle* postings = nullptr;
  // Format 3. Null only in a read-only open of a format-2 store, which has
  // none of these: reads then find nothing.
  rocksdb::ColumnFamilyHandle* lexical_postings = nullptr;
  rocksdb::ColumnFamilyHandle* doc_terms = nullptr;
  rocksdb::ColumnFamilyHandle* sources = nullptr;
  rocksdb::ColumnFamilyHandle* settings = nullptr;

  // The non-null handles.
  std::vector<rocksdb::ColumnFamilyHandle*> all() const {
    std::vector<rocksdb::ColumnFamilyHandle*> out;
    for (rocksdb::ColumnFamilyHandle* h : {manifest, codec, counters, documents, external_ids, codes, postings,
                                           lexical_postings, doc_terms, sources, settings}) {
      if (h != nullptr) out.push_back(h);
    }
    return out;
  }
};

inline absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }
inline rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class RocksDbReader {
 public:
  // `manifest` gives dim and nbits, against which codes and codec are checked.
  // REQUIRES: db and the families outlive the reader.
  RocksDbReader(std::string path, rocksdb::DB* db, const Families& families, const Manifest& manifest)
      : path_(std::move(path)), db_(db), cf_(families), manifest_(manifest) {}

  const std::string& path() const { return path_; }
  rocksdb::DB* db() const { return db_; }
  const Families& families() const { return cf_; }
  size_t code_bytes() const { return static_cast<size_t>(manifest_.dim) * manifest_.nbits / 8; }
  const Manifest& manifest() const { return manifest_; }

  // nullopt when the key is absent. `what` names the key in errors.
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* family,
                                                 const rocksdb::Snapshot* snapshot, absl::string_view key,
                                                 absl::string_view what) const;

  absl::StatusOr<std::optional<CodecHeader>> ReadCodecHeader(const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<std::optional<CodecParts>> ReadCodec(const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<std::optional<uint32_t>> ReadExternalId(const rocksdb::Snapshot* snapshot,
                                                         absl::string_view external_id) const;
  absl::StatusOr<std::optional<DocumentRecord>> ReadDocument(const rocksdb::Snapshot* snapshot,
                                                             uint32_t doc_id) const;
  absl::StatusOr<std::optional<DocumentCodes>> ReadCodes(const rocksdb::Snapshot* snapshot,
                                                         uint32_t doc_id) const;
  // Documents with a token in `centroid`, ascending: its segments, by
  // ascending block, empty ones skipped. DataLoss naming the key for a
  // malformed key or segment (or a failed merge).
  absl::StatusOr<std::vector<uint32_t>> ReadPostings(const rocksdb::Snapshot* snapshot,
                                                     uint32_t centroid) const;
  // DataLoss when absent: every store has its counters from creation on.
  absl::StatusOr<uint64_t> ReadCounter(const rocksdb::Snapshot* snapshot, absl::string_view key) const;
  // 0 when absent (the format-3 counters of a store read before its upgrade).
  absl::StatusOr<uint64_t> ReadOptionalCounter(const rocksdb::Snapshot* snapshot, absl::string_view key) const;

  // Postings of `term` by ascending doc id: one prefix scan of its segments,
  // empty ones skipped. DataLoss naming the key for a malformed key or
  // segment (or a failed merge).
  absl::StatusOr<std::vector<LexicalPosting>> ReadLexicalPostings(const rocksdb::Snapshot* snapshot,
                                                                  absl::string_view term) const;
  absl::StatusOr<LexicalStats> ReadLexicalStats(const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<std::optional<LexicalTerms>> ReadDocTerms(const rocksdb::Snapshot* snapshot,
                                                           uint32_t doc_id) const;
  absl::StatusOr<std::optional<SourceRecord>> ReadSource(const rocksdb::Snapshot* snapshot,
                                                         absl::string_view path) const;
  absl::Status ScanSources(const rocksdb::Snapshot* snapshot,
                           const std::function<absl::Status(const SourceRecord&)>& fn) const;
  absl::StatusOr<std::optional<std::string>> ReadSetting(const rocksdb::Snapshot* snapshot,
                                                         absl::string_view key) const;
  absl::Status ScanSettings(const rocksdb::Snapshot* snapshot,
                            const std::function<absl::Status(std::string_view, std::string_view)>& fn) const;

  // Full scans in ascending id order; stop at, and return, fn's first error.
  absl::Status ScanCodes(const rocksdb::Snapshot* snapshot,
                         const std::function<absl::Status(uint32_t, const DocumentCodes&)>& fn) const;
  absl::Status ScanDocuments(const rocksdb::Snapshot* snapshot,
                             const std::function<absl::Status(uint32_t, const DocumentRecord&)>& fn) const;

 private:
  // Calls fn(doc id, raw value) for every key of a family keyed by doc id.
  absl::Status ScanByDocId(rocksdb::ColumnFamilyHandle* family, absl::string_view family_name,
                           const rocksdb::Snapshot* snapshot,
                           const std::function<absl::Status(uint32_t, absl::string_view)>& fn) const;
  // "<path>: <key description>", the prefix of decoding errors.
  std::string Where(absl::string_view what) const;

  const std::string path_;
  rocksdb::DB* const db_;
  const Families cf_;
  const Manifest manifest_;
};

}  // namespace lateral::storage

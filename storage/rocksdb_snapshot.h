// storage/ private header: StoreSnapshot over a rocksdb::Snapshot.
//
// Every read goes through one RocksDB snapshot, so a search sees the store as
// of Snapshot() however many writes commit meanwhile. RocksDB keeps the data
// the snapshot needs until it is released (destructor): hold snapshots for a
// search, not for hours, or compaction cannot drop replaced documents.
#pragma once

#include <cstdint>

#include "storage/collection_store.h"
#include "rocksdb/snapshot.h"
#include "storage/rocksdb_reader.h"

namespace lateral::storage {

class RocksDbSnapshot final : public StoreSnapshot {
 public:
  // REQUIRES: `reader` (and its database) outlives the snapshot.
  explicit RocksDbSnapshot(const RocksDbReader* reader);
  ~RocksDbSnapshot() override;

  RocksDbSnapshot(const RocksDbSnapshot&) = delete;
  RocksDbSnapshot& operator=(const RocksDbSnapshot&) = delete;

  absl::StatusOr<std::optional<CodecParts>> GetCodec() const override;
  absl::StatusOr<std::optional<uint32_t>> LookupExternalId(const std::string& external_id) const override;
  absl::StatusOr<std::optional<DocumentRecord>> GetDocument(uint32_t doc_id) const override;
  absl::StatusOr<std::optional<DocumentCodes>> GetCodes(uint32_t doc_id) const override;
  absl::StatusOr<std::vector<uint32_t>> GetPostings(uint32_t centroid) const override;
  absl::Status ForEachCodes(
      const std::function<absl::Status(uint32_t doc_id, const DocumentCodes&)>& fn) const override;
  absl::Status ForEachDocument(
      const std::function<absl::Status(uint32_t doc_id, const DocumentRecord&)>& fn) const override;
  // Read once, at creation; -1 if the counter was unreadable (a damaged
  // store, which the other methods then report).
  int64_t NumDocuments() const override { return num_documents_; }
  uint64_t SequenceNumber() const override { return snapshot_->GetSequenceNumber(); }
  absl::StatusOr<std::vector<LexicalPosting>> GetLexicalPostings(std::string_view term) const override;
  absl::StatusOr<LexicalStats> GetLexicalStats() const override;
  absl::StatusOr<std::optional<LexicalTerms>> GetLexicalTerms(uint32_t doc_id) const override;
  absl::StatusOr<std::optional<SourceRecord>> GetSource(std::string_view path) const override;
  absl::Status ForEachSource(const std::function<absl::Status(const SourceRecord&)>& fn) const override;
  absl::StatusOr<int64_t> NumSources() const override;
  absl::StatusOr<std::optional<std::string>> GetSetting(std::string_view key) const override;
  absl::Status ForEachSetting(
      const std::function<absl::Status(std::string_view key, std::string_view value)>& fn) const override;

 private:
  const RocksDbReader* reader_;
  const rocksdb::Snapshot* snapshot_;
  int64_t num_documents_ = -1;
};

}  // namespace lateral::storage

#include "storage/rocksdb_snapshot.h"

#include "storage/key_format.h"

namespace lateral::storage {

RocksDbSnapshot::RocksDbSnapshot(const RocksDbReader* reader)
    : reader_(reader), snapshot_(reader->db()->GetSnapshot()) {
  absl::StatusOr<uint64_t> count = reader_->ReadCounter(snapshot_, kNumDocumentsKey);
  if (count.ok()) num_documents_ = static_cast<int64_t>(*count);
}

RocksDbSnapshot::~RocksDbSnapshot() { reader_->db()->ReleaseSnapshot(snapshot_); }

absl::StatusOr<std::optional<CodecParts>> RocksDbSnapshot::GetCodec() const {
  return reader_->ReadCodec(snapshot_);
}

absl::StatusOr<std::optional<uint32_t>> RocksDbSnapshot::LookupExternalId(
    const std::string& external_id) const {
  return reader_->ReadExternalId(snapshot_, external_id);
}

absl::StatusOr<std::optional<DocumentRecord>> RocksDbSnapshot::GetDocument(uint32_t doc_id) const {
  return reader_->ReadDocument(snapshot_, doc_id);
}

absl::StatusOr<std::optional<DocumentCodes>> RocksDbSnapshot::GetCodes(uint32_t doc_id) const {
  return reader_->ReadCodes(snapshot_, doc_id);
}

absl::StatusOr<std::vector<uint32_t>> RocksDbSnapshot::GetPostings(uint32_t centroid) const {
  return reader_->ReadPostings(snapshot_, centroid);
}

absl::Status RocksDbSnapshot::ForEachCodes(
    const std::function<absl::Status(uint32_t doc_id, const DocumentCodes&)>& fn) const {
  return reader_->ScanCodes(snapshot_, fn);
}

absl::Status RocksDbSnapshot::ForEachDocument(
    const std::function<absl::Status(uint32_t doc_id, const DocumentRecord&)>& fn) const {
  return reader_->ScanDocuments(snapshot_, fn);
}

}  // namespace lateral::storage

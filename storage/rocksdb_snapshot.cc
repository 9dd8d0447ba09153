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

absl::StatusOr<std::vector<LexicalPosting>> RocksDbSnapshot::GetLexicalPostings(std::string_view term) const {
  return reader_->ReadLexicalPostings(snapshot_, absl::string_view(term.data(), term.size()));
}

absl::StatusOr<LexicalStats> RocksDbSnapshot::GetLexicalStats() const { return reader_->ReadLexicalStats(snapshot_); }

absl::StatusOr<std::optional<LexicalTerms>> RocksDbSnapshot::GetLexicalTerms(uint32_t doc_id) const {
  return reader_->ReadDocTerms(snapshot_, doc_id);
}

absl::StatusOr<std::optional<SourceRecord>> RocksDbSnapshot::GetSource(std::string_view path) const {
  return reader_->ReadSource(snapshot_, absl::string_view(path.data(), path.size()));
}

absl::Status RocksDbSnapshot::ForEachSource(const std::function<absl::Status(const SourceRecord&)>& fn) const {
  return reader_->ScanSources(snapshot_, fn);
}

absl::StatusOr<int64_t> RocksDbSnapshot::NumSources() const {
  absl::StatusOr<uint64_t> count = reader_->ReadOptionalCounter(snapshot_, kNumSourcesKey);
  if (!count.ok()) return count.status();
  return static_cast<int64_t>(*count);
}

absl::StatusOr<std::optional<std::string>> RocksDbSnapshot::GetSetting(std::string_view key) const {
  return reader_->ReadSetting(snapshot_, absl::string_view(key.data(), key.size()));
}

absl::Status RocksDbSnapshot::ForEachSetting(
    const std::function<absl::Status(std::string_view key, std::string_view value)>& fn) const {
  return reader_->ScanSettings(snapshot_, fn);
}

}  // namespace lateral::storage

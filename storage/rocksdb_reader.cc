#include "storage/rocksdb_reader.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/key_format.h"
#include "storage/lexical_segment.h"
#include "storage/posting_segment.h"
#include "storage/rocksdb_status.h"

namespace lateral::storage {
namespace {

// Full scans (index load) read many MiB sequentially.
constexpr size_t kScanReadaheadBytes = size_t{2} << 20;

}  // namespace

std::string RocksDbReader::Where(absl::string_view what) const { return absl::StrCat(path_, ": ", what); }

absl::StatusOr<std::optional<std::string>> RocksDbReader::Get(rocksdb::ColumnFamilyHandle* family,
                                                              const rocksdb::Snapshot* snapshot,
                                                              absl::string_view key,
                                                              absl::string_view what) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::string value;
  rocksdb::Status s = db_->Get(read, family, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDbStatus(s, path_, absl::StrCat("reading ", what));
  return value;
}

absl::StatusOr<std::optional<CodecHeader>> RocksDbReader::ReadCodecHeader(
    const rocksdb::Snapshot* snapshot) const {
  const std::string what = DescribeKey(kCodecFamily, kCodecHeaderKey);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf_.codec, snapshot, kCodecHeaderKey, what));
  if (!value.has_value()) return std::nullopt;
  LATERAL_ASSIGN_OR_RETURN(CodecHeader header, DecodeCodecHeader(*value, Where(what)));
  if (header.dim != manifest_.dim || header.nbits != manifest_.nbits) {
    return absl::DataLossError(absl::StrCat(Where(what), ": codec has dim ", header.dim, " and nbits ",
                                            header.nbits, " but the manifest says dim ", manifest_.dim,
                                            " and nbits ", manifest_.nbits));
  }
  return header;
}

absl::StatusOr<std::optional<CodecParts>> RocksDbReader::ReadCodec(const rocksdb::Snapshot* snapshot) const {
  LATERAL_ASSIGN_OR_RETURN(std::optional<CodecHeader> header, ReadCodecHeader(snapshot));
  if (!header.has_value()) return std::nullopt;
  CodecParts parts;
  parts.dim = header->dim;
  parts.nbits = header->nbits;
  parts.centroids.reserve(uint64_t{header->num_centroids} * header->dim);
  for (uint32_t chunk = 0; chunk < header->num_chunks(); ++chunk) {
    const std::string what = absl::StrCat(kCodecFamily, "[centroids chunk ", chunk, "]");
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value,
                             Get(cf_.codec, snapshot, CentroidChunkKey(chunk), what));
    if (!value.has_value()) {
      return absl::DataLossError(
          absl::StrCat(Where(what), ": missing (the codec header lists ", header->num_chunks(), " chunks)"));
    }
    LATERAL_RETURN_IF_ERROR(DecodeCentroidChunk(*value, *header, chunk, &parts.centroids, Where(what)));
  }
  parts.bucket_cutoffs = std::move(header->bucket_cutoffs);
  parts.bucket_weights = std::move(header->bucket_weights);
  return parts;
}

absl::StatusOr<std::optional<uint32_t>> RocksDbReader::ReadExternalId(const rocksdb::Snapshot* snapshot,
                                                                      absl::string_view external_id) const {
  const std::string what = DescribeKey(kExternalIdsFamily, external_id);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           Get(cf_.external_ids, snapshot, external_id, what));
  if (!value.has_value()) return std::nullopt;
  std::optional<uint32_t> doc_id = ParseDocIdKey(*value);
  if (!doc_id.has_value()) {
    return absl::DataLossError(
        absl::StrCat(Where(what), ": corrupt value (", value->size(), " bytes, expected a 4-byte doc id)"));
  }
  return doc_id;
}

absl::StatusOr<std::optional<DocumentRecord>> RocksDbReader::ReadDocument(const rocksdb::Snapshot* snapshot,
                                                                          uint32_t doc_id) const {
  const std::string what = DescribeDocKey(kDocumentsFamily, doc_id);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           Get(cf_.documents, snapshot, DocIdKey(doc_id), what));
  if (!value.has_value()) return std::nullopt;
  return DecodeDocument(*value, Where(what));
}

absl::StatusOr<std::optional<DocumentCodes>> RocksDbReader::ReadCodes(const rocksdb::Snapshot* snapshot,
                                                                      uint32_t doc_id) const {
  const std::string what = DescribeDocKey(kCodesFamily, doc_id);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           Get(cf_.codes, snapshot, DocIdKey(doc_id), what));
  if (!value.has_value()) return std::nullopt;
  if (code_bytes() == 0) return absl::DataLossError(absl::StrCat(Where(what), ": codes in a lexical-only store"));
  return DecodeCodes(*value, code_bytes(), Where(what));
}

absl::StatusOr<std::vector<uint32_t>> RocksDbReader::ReadPostings(const rocksdb::Snapshot* snapshot,
                                                                  uint32_t centroid) const {
  const std::string prefix = PostingPrefix(centroid);
  // The first key past this centroid's range; the last centroid has none.
  const std::string upper = centroid == UINT32_MAX ? std::string() : PostingPrefix(centroid + 1);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  if (!upper.empty()) read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_.postings));
  std::vector<uint32_t> doc_ids;
  // Segments come by ascending block, each ascending: the ids concatenate in
  // order. The iterator yields merged values (rocksdb_postings.h).
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<SegmentKeyParts> parts = ParseSegmentKey(View(it->key()));
    if (!parts.has_value()) {
      return absl::DataLossError(absl::StrCat(Where(DescribeKey(kPostingsFamily, View(it->key()))),
                                              ": corrupt key (expected be32 centroid, be32 block <= ", kMaxBlock,
                                              ")"));
    }
    const std::string what = DescribeSegmentKey(parts->centroid, parts->block);
    LATERAL_ASSIGN_OR_RETURN(std::vector<uint16_t> low_bits, DecodeSegment(View(it->value()), Where(what)));
    for (uint16_t low : low_bits) doc_ids.push_back(DocIdOf(parts->block, low));
    if (parts->block == kMaxBlock && !low_bits.empty() && low_bits.back() == UINT16_MAX) {
      // UINT32_MAX is the "no document" sentinel, never an internal id.
      return absl::DataLossError(absl::StrCat(Where(what), ": corrupt value (holds doc id ", UINT32_MAX, ")"));
    }
  }
  LATERAL_RETURN_IF_ERROR(
      FromRocksDbStatus(it->status(), path_, absl::StrCat("reading the postings of centroid ", centroid)));
  return doc_ids;
}

absl::StatusOr<uint64_t> RocksDbReader::ReadCounter(const rocksdb::Snapshot* snapshot,
                                                    absl::string_view key) const {
  const std::string what = DescribeKey(kCountersFamily, key);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf_.counters, snapshot, key, what));
  if (!value.has_value()) return absl::DataLossError(absl::StrCat(Where(what), ": missing"));
  return DecodeCounter(*value, Where(what));
}

absl::StatusOr<uint64_t> RocksDbReader::ReadOptionalCounter(const rocksdb::Snapshot* snapshot,
                                                            absl::string_view key) const {
  const std::string what = DescribeKey(kCountersFamily, key);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf_.counters, snapshot, key, what));
  if (!value.has_value()) return 0;
  return DecodeCounter(*value, Where(what));
}

absl::StatusOr<std::vector<LexicalPosting>> RocksDbReader::ReadLexicalPostings(const rocksdb::Snapshot* snapshot,
                                                                               absl::string_view term) const {
  std::vector<LexicalPosting> postings;
  // A term with a NUL byte is never stored (and would alias other keys).
  if (cf_.lexical_postings == nullptr || term.empty() || term.find('\0') != absl::string_view::npos) {
    return postings;
  }
  const std::string prefix = LexicalPrefix(term);
  std::string upper = prefix;
  upper.back() = '\x01';  // term | 0x01: just past every key of the term
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_.lexical_postings));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    std::optional<LexicalKeyParts> parts = ParseLexicalSegmentKey(key);
    if (!parts.has_value() || parts->term != term) {
      return absl::DataLossError(absl::StrCat(Where(DescribeKey(kLexicalPostingsFamily, key)),
                                              ": corrupt key (expected term, 0x00, be32 block <= ", kMaxBlock, ")"));
    }
    const absl::string_view value = View(it->value());
    if (IsEmptyLexicalSegment(value)) continue;
    const size_t before = postings.size();
    absl::Status s = DecodeLexicalSegmentInto(value, parts->block, Where(DescribeLexicalSegmentKey(key)), &postings);
    if (!s.ok()) return s;
    if (parts->block == kMaxBlock && postings.size() > before && postings.back().doc_id == UINT32_MAX) {
      return absl::DataLossError(absl::StrCat(Where(DescribeLexicalSegmentKey(key)), ": corrupt value (holds doc id ",
                                              UINT32_MAX, ")"));
    }
  }
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(
      it->status(), path_, absl::StrCat("reading the lexical postings of \"", absl::CEscape(term), "\"")));
  return postings;
}

absl::StatusOr<LexicalStats> RocksDbReader::ReadLexicalStats(const rocksdb::Snapshot* snapshot) const {
  LexicalStats stats;
  LATERAL_ASSIGN_OR_RETURN(uint64_t documents, ReadOptionalCounter(snapshot, kLexicalDocumentsKey));
  LATERAL_ASSIGN_OR_RETURN(uint64_t total, ReadOptionalCounter(snapshot, kLexicalTotalLengthKey));
  if (documents > INT64_MAX || total > INT64_MAX) {
    return absl::DataLossError(absl::StrCat(Where(DescribeKey(kCountersFamily, kLexicalDocumentsKey)),
                                            ": implausible lexical statistics"));
  }
  stats.num_documents = static_cast<int64_t>(documents);
  stats.total_length = static_cast<int64_t>(total);
  return stats;
}

absl::StatusOr<std::optional<LexicalTerms>> RocksDbReader::ReadDocTerms(const rocksdb::Snapshot* snapshot,
                                                                        uint32_t doc_id) const {
  if (cf_.doc_terms == nullptr) return std::nullopt;
  const std::string what = DescribeDocKey(kDocTermsFamily, doc_id);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           Get(cf_.doc_terms, snapshot, DocIdKey(doc_id), what));
  if (!value.has_value()) return std::nullopt;
  return DecodeDocTerms(*value, Where(what));
}

absl::StatusOr<std::optional<SourceRecord>> RocksDbReader::ReadSource(const rocksdb::Snapshot* snapshot,
                                                                      absl::string_view path) const {
  if (cf_.sources == nullptr || path.empty()) return std::nullopt;
  const std::string what = DescribeKey(kSourcesFamily, path);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(cf_.sources, snapshot, path, what));
  if (!value.has_value()) return std::nullopt;
  return DecodeSource(*value, path, Where(what));
}

absl::Status RocksDbReader::ScanSources(const rocksdb::Snapshot* snapshot,
                                        const std::function<absl::Status(const SourceRecord&)>& fn) const {
  if (cf_.sources == nullptr) return absl::OkStatus();
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_.sources));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    LATERAL_ASSIGN_OR_RETURN(SourceRecord source,
                             DecodeSource(View(it->value()), key, Where(DescribeKey(kSourcesFamily, key))));
    LATERAL_RETURN_IF_ERROR(fn(source));
  }
  return FromRocksDbStatus(it->status(), path_, "scanning the sources");
}

absl::StatusOr<std::optional<std::string>> RocksDbReader::ReadSetting(const rocksdb::Snapshot* snapshot,
                                                                      absl::string_view key) const {
  if (cf_.settings == nullptr || key.empty()) return std::nullopt;
  return Get(cf_.settings, snapshot, key, DescribeKey(kSettingsFamily, key));
}

absl::Status RocksDbReader::ScanSettings(
    const rocksdb::Snapshot* snapshot,
    const std::function<absl::Status(std::string_view, std::string_view)>& fn) const {
  if (cf_.settings == nullptr) return absl::OkStatus();
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf_.settings));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    LATERAL_RETURN_IF_ERROR(fn(std::string_view(it->key().data(), it->key().size()),
                               std::string_view(it->value().data(), it->value().size())));
  }
  return FromRocksDbStatus(it->status(), path_, "scanning the settings");
}

absl::Status RocksDbReader::ScanByDocId(
    rocksdb::ColumnFamilyHandle* family, absl::string_view family_name, const rocksdb::Snapshot* snapshot,
    const std::function<absl::Status(uint32_t, absl::string_view)>& fn) const {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.fill_cache = false;  // one pass over everything: keep the lookups' blocks cached
  read.readahead_size = kScanReadaheadBytes;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::optional<uint32_t> doc_id = ParseDocIdKey(View(it->key()));
    if (!doc_id.has_value()) {
      return absl::DataLossError(absl::StrCat(Where(DescribeKey(family_name, View(it->key()))),
                                              ": corrupt key (expected a 4-byte doc id)"));
    }
    LATERAL_RETURN_IF_ERROR(fn(*doc_id, View(it->value())));
  }
  return FromRocksDbStatus(it->status(), path_, absl::StrCat("scanning ", family_name));
}

absl::Status RocksDbReader::ScanCodes(
    const rocksdb::Snapshot* snapshot,
    const std::function<absl::Status(uint32_t, const DocumentCodes&)>& fn) const {
  return ScanByDocId(cf_.codes, kCodesFamily, snapshot, [&](uint32_t doc_id, absl::string_view value) {
    if (code_bytes() == 0) {
      return absl::DataLossError(
          absl::StrCat(Where(DescribeDocKey(kCodesFamily, doc_id)), ": codes in a lexical-only store"));
    }
    LATERAL_ASSIGN_OR_RETURN(DocumentCodes codes,
                             DecodeCodes(value, code_bytes(), Where(DescribeDocKey(kCodesFamily, doc_id))));
    return fn(doc_id, codes);
  });
}

absl::Status RocksDbReader::ScanDocuments(
    const rocksdb::Snapshot* snapshot,
    const std::function<absl::Status(uint32_t, const DocumentRecord&)>& fn) const {
  return ScanByDocId(
      cf_.documents, kDocumentsFamily, snapshot, [&](uint32_t doc_id, absl::string_view value) {
        LATERAL_ASSIGN_OR_RETURN(DocumentRecord record,
                                 DecodeDocument(value, Where(DescribeDocKey(kDocumentsFamily, doc_id))));
        return fn(doc_id, record);
      });
}

}  // namespace lateral::storage

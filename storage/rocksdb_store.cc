#include "storage/rocksdb_store.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/coding.h"
#include "storage/key_format.h"
#include "storage/posting_segment.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_options.h"
#include "storage/rocksdb_reader.h"
#include "storage/rocksdb_snapshot.h"
#include "storage/rocksdb_status.h"

namespace lateral::storage {
namespace {

namespace fs = std::filesystem;

// How many unknown ids a Delete error lists before "and N more".
constexpr size_t kMaxIdsInMessage = 5;

std::vector<uint32_t> DistinctCentroids(const std::vector<uint32_t>& centroid_ids) {
  std::vector<uint32_t> distinct(centroid_ids);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  return distinct;
}

// The postings changes of one batch, one edit per (centroid, block) segment,
// so that each segment gets a single merge operand per batch.
class PostingEdits {
 public:
  void Add(uint32_t centroid, uint32_t doc_id) { Edit(centroid, doc_id).added.push_back(LowBitsOf(doc_id)); }
  void Remove(uint32_t centroid, uint32_t doc_id) {
    Edit(centroid, doc_id).removed.push_back(LowBitsOf(doc_id));
  }

  // Adds one Merge per segment to `batch`, in key order.
  rocksdb::Status AddTo(rocksdb::ColumnFamilyHandle* postings, rocksdb::WriteBatch* batch) {
    std::vector<uint64_t> keys;
    keys.reserve(edits_.size());
    for (const auto& [key, edit] : edits_) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (uint64_t key : keys) {
      SegmentEdit& edit = edits_[key];
      for (std::vector<uint16_t>* ids : {&edit.removed, &edit.added}) {
        // New documents come in id order and a document has one posting per
        // centroid, but removals follow the caller's order.
        std::sort(ids->begin(), ids->end());
        ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
      }
      const std::string segment_key = SegmentKey(static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key));
      rocksdb::Status s = batch->Merge(postings, segment_key, EncodeEdit(edit));
      if (!s.ok()) return s;
    }
    return rocksdb::Status::OK();
  }

 private:
  SegmentEdit& Edit(uint32_t centroid, uint32_t doc_id) {
    return edits_[(uint64_t{centroid} << 32) | BlockOf(doc_id)];
  }

  absl::flat_hash_map<uint64_t, SegmentEdit> edits_;  // centroid << 32 | block -> edit
};

// Owns an open database and the handles of all its column families, and
// releases them in the order RocksDB requires (handles first).
class OpenDatabase {
 public:
  OpenDatabase(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(db), handles_(std::move(handles)) {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      const std::string& name = handle->GetName();
      if (name == kManifestFamily) families_.manifest = handle;
      if (name == kCodecFamily) families_.codec = handle;
      if (name == kCountersFamily) families_.counters = handle;
      if (name == kDocumentsFamily) families_.documents = handle;
      if (name == kExternalIdsFamily) families_.external_ids = handle;
      if (name == kCodesFamily) families_.codes = handle;
      if (name == kPostingsFamily) families_.postings = handle;
    }
  }
  ~OpenDatabase() {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    // Every acknowledged write is already in the WAL; Close's error (e.g. a
    // snapshot still held) has nowhere to go from a destructor.
    db_->Close().PermitUncheckedError();
  }
  OpenDatabase(const OpenDatabase&) = delete;
  OpenDatabase& operator=(const OpenDatabase&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  const Families& families() const { return families_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // ours and any unknown ones
  Families families_;
};

absl::Status ValidateNewManifest(const std::string& path, const Manifest& m) {
  if (m.encoder_identity.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot create a store without an encoder identity"));
  }
  if (m.dim <= 0 || m.dim > (1 << 16)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot create a store with dim ", m.dim));
  }
  if (m.nbits != 1 && m.nbits != 2 && m.nbits != 4 && m.nbits != 8) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot create a store with nbits ", m.nbits, " (expected 1, 2, 4 or 8)"));
  }
  if (m.dim * m.nbits % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": dim ", m.dim, " x nbits ", m.nbits,
                                                   " is not a whole number of bytes per token"));
  }
  return absl::OkStatus();
}

// Compares an existing store's manifest with the one the caller expects.
absl::Status CheckManifestMatches(const std::string& path, const Manifest& stored, const Manifest& wanted) {
  std::vector<std::string> mismatches;
  if (stored.encoder_identity != wanted.encoder_identity) {
    mismatches.push_back(absl::StrCat("index built by encoder \"", stored.encoder_identity,
                                      "\", you are using \"", wanted.encoder_identity, "\""));
  }
  if (stored.dim != wanted.dim) {
    mismatches.push_back(
        absl::StrCat("index built with dim ", stored.dim, ", you are using dim ", wanted.dim));
  }
  if (stored.nbits != wanted.nbits) {
    mismatches.push_back(
        absl::StrCat("index built with nbits ", stored.nbits, ", you are using nbits ", wanted.nbits));
  }
  if (mismatches.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(path, ": ", absl::StrJoin(mismatches, "; "),
                                                    ". Rebuild the index, or use the encoder that built it"));
}

// Reads the manifest of an open database, or writes it when `create` is set
// and the database is new. Checks the format version and, with `create`,
// that the stored encoder matches.
absl::StatusOr<Manifest> LoadOrCreateManifest(const std::string& path, const OpenDatabase& database,
                                              const std::optional<Manifest>& create) {
  rocksdb::DB* db = database.db();
  const Families& cf = database.families();
  const std::string manifest_what = absl::StrCat(path, ": ", DescribeKey(kManifestFamily, kManifestKey));
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf.manifest, kManifestKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocksDbStatus(s, path, "reading the manifest");
  if (s.IsNotFound()) {
    // A new database, or one whose creation was cut short before its first
    // write (the manifest and the counters are written together). Anything
    // else without a manifest is not ours.
    std::string counter;
    s = db->Get(rocksdb::ReadOptions(), cf.counters, kNextDocIdKey, &counter);
    if (!s.ok() && !s.IsNotFound()) return FromRocksDbStatus(s, path, "reading the counters");
    if (!create.has_value() || s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": not a lateral store (the database has no lateral manifest)"));
    }
    LATERAL_RETURN_IF_ERROR(ValidateNewManifest(path, *create));
    Manifest manifest = *create;
    manifest.format_version = kFormatVersion;
    rocksdb::WriteBatch batch;
    s = batch.Put(cf.manifest, kManifestKey, EncodeManifest(manifest));
    if (s.ok()) s = batch.Put(cf.counters, kNextDocIdKey, EncodeCounter(0));
    if (s.ok()) s = batch.Put(cf.counters, kNumDocumentsKey, EncodeCounter(0));
    rocksdb::WriteOptions write;
    write.sync = true;  // a store is durable before Open returns it
    if (s.ok()) s = db->Write(write, &batch);
    LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(s, path, "writing the manifest"));
    return manifest;
  }

  LATERAL_ASSIGN_OR_RETURN(Manifest manifest, DecodeManifest(value, manifest_what));
  if (manifest.format_version > kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": store has format version ", manifest.format_version,
                     ", written by a newer lateral; this build reads format version ", kFormatVersion,
                     " only. Upgrade lateral"));
  }
  if (manifest.format_version >= 1 && manifest.format_version < kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": store has format version ", manifest.format_version,
                     ", written by an older lateral format; this build reads format version ", kFormatVersion,
                     " only. The store must be rebuilt: re-index its documents into a new store"));
  }
  if (manifest.format_version < 1 || manifest.dim <= 0 || manifest.nbits <= 0 ||
      manifest.dim * manifest.nbits % 8 != 0) {
    return absl::DataLossError(absl::StrCat(manifest_what, ": implausible manifest (format version ",
                                            manifest.format_version, ", dim ", manifest.dim, ", nbits ",
                                            manifest.nbits, ")"));
  }
  if (create.has_value()) LATERAL_RETURN_IF_ERROR(CheckManifestMatches(path, manifest, *create));
  return manifest;
}

// Opens (creating when asked) the RocksDB database at `path` with every
// column family it has, ours tuned by rocksdb_options.h.
absl::StatusOr<std::unique_ptr<OpenDatabase>> OpenRocksDb(const std::string& path, bool create_database,
                                                          const StoreOptions& options, rocksdb::Env* env) {
  rocksdb::DBOptions db_options = MakeDbOptions(options);
  db_options.create_if_missing = create_database;
  if (env != nullptr) db_options.env = env;

  // RocksDB must open every family a database has, including any this build
  // does not know (a later layout); ours it creates when missing.
  std::vector<std::string> names = StoreFamilyNames();
  if (!create_database) {
    std::vector<std::string> existing;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, path, &existing);
    if (s.IsPathNotFound()) {
      // CURRENT exists but names a file that does not: a damaged database.
      return absl::DataLossError(absl::StrCat(path, ": the store is corrupted (a file it lists is missing); "
                                              "restore it from a backup or rebuild it: ", s.ToString()));
    }
    if (!s.ok()) return FromRocksDbStatus(s, path, "listing column families");
    if (std::find(existing.begin(), existing.end(), kManifestFamily) == existing.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": not a lateral store (a RocksDB database without a \"", kManifestFamily,
                       "\" column family; it has ", absl::StrJoin(existing, ", "), ")"));
    }
    for (const std::string& name : existing) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  const std::shared_ptr<rocksdb::Cache> cache = MakeBlockCache(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names)
    descriptors.emplace_back(name, MakeFamilyOptions(name, options, cache));

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  if (!s.ok()) {
    // RocksDB reports a held LOCK file as an IOError mentioning the lock.
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": the store is already open in this or another process (", s.ToString(), ")"));
    }
    return FromRocksDbStatus(s, path, "opening the store");
  }
  return std::make_unique<OpenDatabase>(db, std::move(handles));
}

class RocksDbCollectionStore final : public CollectionStore {
 public:
  RocksDbCollectionStore(std::string path, const StoreOptions& options,
                         std::unique_ptr<OpenDatabase> database, const Manifest& manifest)
      : path_(std::move(path)),
        options_(options),
        manifest_(manifest),
        database_(std::move(database)),
        db_(database_->db()),
        cf_(database_->families()),
        reader_(path_, db_, cf_, manifest_) {}

  // Loads the counters and the codec's centroid count. Called once, by Open.
  absl::Status LoadState();

  const Manifest& manifest() const override { return manifest_; }
  absl::Status PutCodec(const CodecParts& codec) override;
  absl::StatusOr<std::vector<uint32_t>> Upsert(absl::Span<const DocumentWrite> documents) override;
  absl::Status Delete(absl::Span<const std::string> external_ids) override;
  std::unique_ptr<StoreSnapshot> Snapshot() const override {
    return std::make_unique<RocksDbSnapshot>(&reader_);
  }
  absl::StatusOr<uint64_t> DiskBytes() const override;
  absl::Status Compact() override;

 private:
  // A document as validated and encoded before anything is written.
  struct EncodedWrite {
    const DocumentWrite* write;
    std::string record;
    std::string codes;
    std::vector<uint32_t> centroids;  // distinct, ascending
  };

  absl::Status ValidateCodec(const CodecParts& codec) const;
  absl::StatusOr<std::vector<EncodedWrite>> ValidateAndEncode(absl::Span<const DocumentWrite> documents) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds to `batch` the removal of document `doc_id` (record, codes; not its
  // external id) and to `edits` the removal of its postings, reading its codes
  // to find them.
  absl::Status RemoveDocument(uint32_t doc_id, absl::string_view external_id, rocksdb::WriteBatch* batch,
                              PostingEdits* edits) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Commit(rocksdb::WriteBatch* batch, absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::string path_;
  const StoreOptions options_;
  const Manifest manifest_;
  const std::unique_ptr<OpenDatabase> database_;
  rocksdb::DB* const db_;  // database_->db()
  const Families cf_;
  const RocksDbReader reader_;

  // Serialises writers. Validation reads the latest state under it, so the
  // checks and the batch they guard see the same store.
  mutable absl::Mutex write_mu_;
  // Mirrors of the persisted counters, updated only after a batch commits.
  uint64_t next_doc_id_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t num_documents_ ABSL_GUARDED_BY(write_mu_) = 0;
  // Centroids of the stored codec; 0 while none is stored.
  uint32_t num_centroids_ ABSL_GUARDED_BY(write_mu_) = 0;
  // Set when the last write failed: RocksDB then refuses writes until it
  // recovers (see Commit).
  bool needs_resume_ ABSL_GUARDED_BY(write_mu_) = false;
};

absl::Status RocksDbCollectionStore::LoadState() {
  absl::MutexLock lock(&write_mu_);
  LATERAL_ASSIGN_OR_RETURN(next_doc_id_, reader_.ReadCounter(nullptr, kNextDocIdKey));
  LATERAL_ASSIGN_OR_RETURN(num_documents_, reader_.ReadCounter(nullptr, kNumDocumentsKey));
  if (next_doc_id_ > uint64_t{kMaxDocId} + 1 || num_documents_ > next_doc_id_) {
    return absl::DataLossError(absl::StrCat(path_, ": implausible counters (next doc id ", next_doc_id_, ", ",
                                            num_documents_, " documents)"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<CodecHeader> header, reader_.ReadCodecHeader(nullptr));
  num_centroids_ = header.has_value() ? header->num_centroids : 0;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Writes

absl::Status RocksDbCollectionStore::Commit(rocksdb::WriteBatch* batch, absl::string_view what) {
  if (needs_resume_) {
    // After a failed write (e.g. disk full) RocksDB refuses writes until it
    // recovers. For "no space" it recovers by itself once space returns
    // (Resume() then answers Busy); for other errors it waits to be told.
    rocksdb::Status resumed = db_->Resume();
    if (resumed.ok()) needs_resume_ = false;
    if (!resumed.ok() && !resumed.IsBusy()) {
      return FromRocksDbStatus(resumed, path_, "recovering from an earlier failed write");
    }
  }
  rocksdb::WriteOptions write;
  write.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(write, batch);
  needs_resume_ = !s.ok();
  return FromRocksDbStatus(s, path_, what);
}

absl::Status RocksDbCollectionStore::ValidateCodec(const CodecParts& codec) const {
  const std::string prefix = absl::StrCat(path_, ": cannot store codec: ");
  if (codec.dim != manifest_.dim || codec.nbits != manifest_.nbits) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "it has dim ", codec.dim, " and nbits ",
                                                   codec.nbits, ", the store dim ", manifest_.dim,
                                                   " and nbits ", manifest_.nbits));
  }
  if (codec.centroids.empty() || codec.centroids.size() % codec.dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, codec.centroids.size(), " centroid floats is not a positive multiple of dim ", codec.dim));
  }
  if (codec.centroids.size() / codec.dim > kMaxDocId) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "too many centroids"));
  }
  const size_t buckets = size_t{1} << codec.nbits;
  if (codec.bucket_cutoffs.size() != buckets - 1 || codec.bucket_weights.size() != buckets) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, codec.bucket_cutoffs.size(), " bucket cutoffs and ", codec.bucket_weights.size(),
                     " weights; nbits ", codec.nbits, " needs ", buckets - 1, " and ", buckets));
  }
  for (const std::vector<float>* values : {&codec.centroids, &codec.bucket_cutoffs, &codec.bucket_weights}) {
    for (float v : *values) {
      if (!std::isfinite(v))
        return absl::InvalidArgumentError(absl::StrCat(prefix, "it holds a non-finite value"));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbCollectionStore::PutCodec(const CodecParts& codec) {
  LATERAL_RETURN_IF_ERROR(ValidateCodec(codec));
  CodecHeader header;
  header.dim = codec.dim;
  header.nbits = codec.nbits;
  header.num_centroids = static_cast<uint32_t>(codec.centroids.size() / codec.dim);
  header.rows_per_chunk =
      static_cast<uint32_t>(std::max<size_t>(1, kCentroidChunkBytes / (sizeof(float) * codec.dim)));
  header.bucket_cutoffs = codec.bucket_cutoffs;
  header.bucket_weights = codec.bucket_weights;

  absl::MutexLock lock(&write_mu_);
  if (num_documents_ > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": cannot replace the codec while the store holds ", num_documents_,
                     " documents whose codes refer to it; delete them (or re-encode them, Recluster) first"));
  }
  rocksdb::WriteBatch batch;
  // Drop every key of the previous codec: a smaller K leaves fewer chunks.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_.codec));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      LATERAL_RETURN_IF_ERROR(
          FromRocksDbStatus(batch.Delete(cf_.codec, it->key()), path_, "building a batch"));
    }
    LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), path_, "reading the previous codec"));
  }
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(batch.Put(cf_.codec, kCodecHeaderKey, EncodeCodecHeader(header)),
                                            path_, "building a batch"));
  const size_t floats_per_chunk = size_t{header.rows_per_chunk} * codec.dim;
  for (uint32_t chunk = 0; chunk < header.num_chunks(); ++chunk) {
    std::string value;
    const size_t begin = chunk * floats_per_chunk;
    PutFloats(&value, codec.centroids.data() + begin, size_t{header.rows_in_chunk(chunk)} * codec.dim);
    LATERAL_RETURN_IF_ERROR(
        FromRocksDbStatus(batch.Put(cf_.codec, CentroidChunkKey(chunk), value), path_, "building a batch"));
  }
  LATERAL_RETURN_IF_ERROR(
      Commit(&batch, absl::StrCat("writing a codec of ", header.num_centroids, " centroids")));
  num_centroids_ = header.num_centroids;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RocksDbCollectionStore::EncodedWrite>> RocksDbCollectionStore::ValidateAndEncode(
    absl::Span<const DocumentWrite> documents) const {
  if (num_centroids_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": no codec stored yet; store one (PutCodec) before adding documents"));
  }
  const size_t code_bytes = reader_.code_bytes();
  absl::flat_hash_map<absl::string_view, size_t> seen;  // external id -> position in the batch
  std::vector<EncodedWrite> encoded;
  encoded.reserve(documents.size());
  for (size_t doc_idx = 0; doc_idx < documents.size(); ++doc_idx) {
    const DocumentWrite& write = documents[doc_idx];
    const std::string& external_id = write.record.external_id;
    if (external_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": document ", doc_idx, " of the batch has an empty external id"));
    }
    const std::string name = absl::StrCat("document \"", external_id, "\"");
    if (external_id.size() > kMaxExternalIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": document ", doc_idx,
                                                     " of the batch: external id of ", external_id.size(),
                                                     " bytes exceeds ", kMaxExternalIdBytes));
    }
    auto [it, inserted] = seen.emplace(external_id, doc_idx);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": external id \"", external_id,
                                                     "\" appears twice in one batch (documents ", it->second,
                                                     " and ", doc_idx, ")"));
    }
    const DocumentCodes& codes = write.codes;
    const size_t n_tokens = codes.centroid_ids.size();
    if (n_tokens == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": ", name, " has no tokens; an empty document cannot be indexed"));
    }
    if (codes.residual_codes.size() != n_tokens * code_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": ", name, ": ", codes.residual_codes.size(), " bytes of residual codes for ", n_tokens,
          " tokens; dim ", manifest_.dim, " x nbits ", manifest_.nbits, " needs ", n_tokens * code_bytes));
    }
    for (size_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      if (codes.centroid_ids[token_idx] >= num_centroids_) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ": ", name, ": token ", token_idx,
                                                       " has centroid id ", codes.centroid_ids[token_idx],
                                                       ", but the codec has ", num_centroids_, " centroids"));
      }
    }
    EncodedWrite e;
    e.write = &write;
    e.record = EncodeDocument(write.record);
    e.codes = EncodeCodes(codes);
    if (e.record.size() > kMaxRecordBytes || e.codes.size() > kMaxRecordBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", name, " is too large (", e.record.size(),
                                                     " bytes of text and metadata, ", e.codes.size(),
                                                     " bytes of codes; the limit is ", kMaxRecordBytes, ")"));
    }
    e.centroids = DistinctCentroids(codes.centroid_ids);
    encoded.push_back(std::move(e));
  }
  return encoded;
}

absl::Status RocksDbCollectionStore::RemoveDocument(uint32_t doc_id, absl::string_view external_id,
                                                    rocksdb::WriteBatch* batch, PostingEdits* edits) const {
  LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentCodes> codes, reader_.ReadCodes(nullptr, doc_id));
  if (!codes.has_value()) {
    return absl::DataLossError(absl::StrCat(path_, ": external id \"", external_id, "\" maps to document ",
                                            doc_id, ", which has no codes"));
  }
  const std::string key = DocIdKey(doc_id);
  rocksdb::Status s = batch->Delete(cf_.documents, key);
  if (s.ok()) s = batch->Delete(cf_.codes, key);
  // Decoded codes are grouped by centroid: consecutive duplicates only.
  for (size_t i = 0; i < codes->centroid_ids.size(); ++i) {
    if (i == 0 || codes->centroid_ids[i] != codes->centroid_ids[i - 1]) edits->Remove(codes->centroid_ids[i], doc_id);
  }
  return FromRocksDbStatus(s, path_, "building a batch");
}

absl::StatusOr<std::vector<uint32_t>> RocksDbCollectionStore::Upsert(
    absl::Span<const DocumentWrite> documents) {
  if (documents.empty()) return std::vector<uint32_t>();
  absl::MutexLock lock(&write_mu_);
  LATERAL_ASSIGN_OR_RETURN(std::vector<EncodedWrite> encoded, ValidateAndEncode(documents));
  if (next_doc_id_ + documents.size() > uint64_t{kMaxDocId} + 1) {
    return absl::ResourceExhaustedError(absl::StrCat(path_, ": out of internal document ids (", next_doc_id_,
                                                     " used; ids are never reused); rebuild the store"));
  }

  rocksdb::WriteBatch batch;
  PostingEdits edits;
  uint64_t next_doc_id = next_doc_id_;
  uint64_t num_documents = num_documents_;
  std::vector<uint32_t> doc_ids;
  doc_ids.reserve(encoded.size());
  rocksdb::Status s;
  for (const EncodedWrite& e : encoded) {
    const std::string& external_id = e.write->record.external_id;
    LATERAL_ASSIGN_OR_RETURN(std::optional<uint32_t> old_id, reader_.ReadExternalId(nullptr, external_id));
    if (old_id.has_value()) {
      LATERAL_RETURN_IF_ERROR(RemoveDocument(*old_id, external_id, &batch, &edits));
      --num_documents;
    }
    const uint32_t doc_id = static_cast<uint32_t>(next_doc_id++);
    const std::string key = DocIdKey(doc_id);
    if (s.ok()) s = batch.Put(cf_.documents, key, e.record);
    if (s.ok()) s = batch.Put(cf_.codes, key, e.codes);
    if (s.ok()) s = batch.Put(cf_.external_ids, external_id, DocIdValue(doc_id));
    for (uint32_t centroid : e.centroids) edits.Add(centroid, doc_id);
    ++num_documents;
    doc_ids.push_back(doc_id);
  }
  if (s.ok()) s = edits.AddTo(cf_.postings, &batch);
  if (s.ok()) s = batch.Put(cf_.counters, kNextDocIdKey, EncodeCounter(next_doc_id));
  if (s.ok()) s = batch.Put(cf_.counters, kNumDocumentsKey, EncodeCounter(num_documents));
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(s, path_, "building a batch"));
  LATERAL_RETURN_IF_ERROR(
      Commit(&batch, absl::StrCat("writing a batch of ", documents.size(), " documents")));
  next_doc_id_ = next_doc_id;
  num_documents_ = num_documents;
  return doc_ids;
}

absl::Status RocksDbCollectionStore::Delete(absl::Span<const std::string> external_ids) {
  if (external_ids.empty()) return absl::OkStatus();
  absl::MutexLock lock(&write_mu_);
  // Deleting an id twice in one call means deleting it once.
  absl::flat_hash_set<absl::string_view> seen;
  std::vector<std::pair<absl::string_view, uint32_t>> found;
  std::vector<std::string> missing;
  for (const std::string& external_id : external_ids) {
    if (!seen.insert(external_id).second) continue;
    LATERAL_ASSIGN_OR_RETURN(std::optional<uint32_t> doc_id, reader_.ReadExternalId(nullptr, external_id));
    if (doc_id.has_value()) {
      found.emplace_back(external_id, *doc_id);
    } else {
      missing.push_back(absl::StrCat("\"", external_id, "\""));
    }
  }
  if (!missing.empty()) {
    const size_t total = missing.size();
    if (total > kMaxIdsInMessage) missing.resize(kMaxIdsInMessage);
    return absl::NotFoundError(
        absl::StrCat(path_, ": no document with external id ", absl::StrJoin(missing, ", "),
                     total > kMaxIdsInMessage ? absl::StrCat(" and ", total - kMaxIdsInMessage, " more") : "",
                     "; nothing was deleted"));
  }
  rocksdb::WriteBatch batch;
  PostingEdits edits;
  for (const auto& [external_id, doc_id] : found) {
    LATERAL_RETURN_IF_ERROR(RemoveDocument(doc_id, external_id, &batch, &edits));
    LATERAL_RETURN_IF_ERROR(
        FromRocksDbStatus(batch.Delete(cf_.external_ids, ToSlice(external_id)), path_, "building a batch"));
  }
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(edits.AddTo(cf_.postings, &batch), path_, "building a batch"));
  const uint64_t num_documents = num_documents_ - found.size();
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(
      batch.Put(cf_.counters, kNumDocumentsKey, EncodeCounter(num_documents)), path_, "building a batch"));
  LATERAL_RETURN_IF_ERROR(Commit(&batch, absl::StrCat("deleting ", found.size(), " documents")));
  num_documents_ = num_documents;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Maintenance

absl::StatusOr<uint64_t> RocksDbCollectionStore::DiskBytes() const {
  // SST files (the data), WAL files (recent writes not yet flushed) and the
  // MANIFEST (which files make up the database). RocksDB's info LOG files and
  // OPTIONS files are diagnostics, not data.
  std::error_code ec;
  uint64_t total = 0;
  for (fs::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool data =
        absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") || absl::StartsWith(name, "MANIFEST-");
    if (!data) continue;
    std::error_code size_ec;
    const uintmax_t size = it->file_size(size_ec);
    // A compaction may delete a file between listing and stat: skip it.
    if (!size_ec) total += size;
  }
  if (ec) return absl::UnavailableError(absl::StrCat(path_, ": listing the store's files: ", ec.message()));
  return total;
}

absl::Status RocksDbCollectionStore::Compact() {
  const std::vector<rocksdb::ColumnFamilyHandle*> ours = cf_.all();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(db_->Flush(flush, ours), path_, "flushing memtables"));
  rocksdb::CompactRangeOptions compact;
  // Rewrite the last level too, so deleted documents' tombstones and values go.
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (rocksdb::ColumnFamilyHandle* family : ours) {
    LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(db_->CompactRange(compact, family, nullptr, nullptr), path_,
                                              absl::StrCat("compacting ", family->GetName())));
  }
  // The pass above merged the postings' updates into their segments; RocksDB
  // runs the compaction filter on stored values only, not on what a merge
  // produces, so segments emptied by deletes go in a second pass. Postings
  // are a small part of the store (~2 bytes per token).
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocksDbStatus(db_->CompactRange(compact, cf_.postings, nullptr, nullptr), path_,
                           "compacting postings (dropping empty segments)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<CollectionStore>> OpenRocksDbStore(const std::string& path,
                                                                  const std::optional<Manifest>& create,
                                                                  const StoreOptions& options,
                                                                  rocksdb::Env* env) {
  if (path.empty()) return absl::InvalidArgumentError("empty store path");
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  const bool exists = fs::exists(status);
  if (exists && !fs::is_directory(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a lateral store (a file, not a directory)"));
  }
  // RocksDB's CURRENT file names the live MANIFEST: no CURRENT, no database.
  const bool has_database = exists && fs::exists(fs::path(path) / "CURRENT", ec);
  if (!has_database) {
    if (!create.has_value()) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no lateral store here (",
                       exists ? "the directory holds no database" : "no such directory", ")"));
    }
    if (exists && !fs::is_empty(path, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path,
                       ": not a lateral store (the directory holds other files and no database); "
                       "refusing to create a store in it"));
    }
    LATERAL_RETURN_IF_ERROR(ValidateNewManifest(path, *create));
    fs::create_directories(path, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat(path, ": cannot create the directory: ", ec.message()));
  }
  LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<OpenDatabase> database,
                           OpenRocksDb(path, /*create_database=*/!has_database, options, env));
  LATERAL_ASSIGN_OR_RETURN(Manifest manifest, LoadOrCreateManifest(path, *database, create));
  auto store = std::make_unique<RocksDbCollectionStore>(path, options, std::move(database), manifest);
  LATERAL_RETURN_IF_ERROR(store->LoadState());
  return store;
}

}  // namespace lateral::storage

#include "storage/rocksdb_store.h"

#include <tbb/parallel_for.h>

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
#include "storage/lexical_edits.h"
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
// Read-only opens race with a writer's file deletions (see OpenRocksDb).
constexpr int kReadOnlyOpenAttempts = 3;

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
      if (name == kLexicalPostingsFamily) families_.lexical_postings = handle;
      if (name == kDocTermsFamily) families_.doc_terms = handle;
      if (name == kSourcesFamily) families_.sources = handle;
      if (name == kSettingsFamily) families_.settings = handle;
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
  if (m.IsLexicalOnly()) return absl::OkStatus();
  if (m.encoder_identity.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot create a store without an encoder identity (a lexical-only store has "
                           "encoder identity \"\", dim 0 and nbits 0; this one has dim ",
                     m.dim, " and nbits ", m.nbits, ")"));
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

// Adds to `batch` the counters format 3 introduced, at zero: a new store, or
// a format-2 store being upgraded (which has no lexical data and no sources).
rocksdb::Status PutFormat3Counters(const Families& cf, rocksdb::WriteBatch* batch) {
  rocksdb::Status s = batch->Put(cf.counters, kLexicalDocumentsKey, EncodeCounter(0));
  if (s.ok()) s = batch->Put(cf.counters, kLexicalTotalLengthKey, EncodeCounter(0));
  if (s.ok()) s = batch->Put(cf.counters, kNumSourcesKey, EncodeCounter(0));
  return s;
}

// Reads the manifest of an open database, or writes it when `create` is set
// and the database is new. Checks the format version and, with `create`,
// that the stored encoder matches. A writable open upgrades a format-2 store
// to format 3 (its new column families were created by the open).
absl::StatusOr<Manifest> LoadOrCreateManifest(const std::string& path, const OpenDatabase& database,
                                              const std::optional<Manifest>& create, bool read_only) {
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
    if (!create.has_value() || s.ok() || read_only) {
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
    if (s.ok()) s = PutFormat3Counters(cf, &batch);
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
                     ", written by a newer lateral; this build reads format versions up to ", kFormatVersion,
                     ". Upgrade lateral"));
  }
  if (manifest.format_version >= 1 && manifest.format_version < kOldestReadableFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": store has format version ", manifest.format_version,
                     ", written by an older lateral format; this build reads format versions ",
                     kOldestReadableFormatVersion, " to ", kFormatVersion,
                     " only. The store must be rebuilt: re-index its documents into a new store"));
  }
  const bool plausible_encoder =
      manifest.dim > 0 && manifest.nbits > 0 && manifest.dim * manifest.nbits % 8 == 0;
  const bool lexical_only = manifest.IsLexicalOnly() && manifest.format_version >= 3;
  if (manifest.format_version < 1 || (!plausible_encoder && !lexical_only)) {
    return absl::DataLossError(absl::StrCat(manifest_what, ": implausible manifest (format version ",
                                            manifest.format_version, ", dim ", manifest.dim, ", nbits ",
                                            manifest.nbits, ")"));
  }
  if (create.has_value()) LATERAL_RETURN_IF_ERROR(CheckManifestMatches(path, manifest, *create));
  if (manifest.format_version == 2 && !read_only) {
    // Format 3 only adds column families (created empty by the open) and
    // counters: the upgrade is the new manifest and the counters, one batch.
    // Cut short, the next writable open does it again.
    Manifest upgraded = manifest;
    upgraded.format_version = kFormatVersion;
    rocksdb::WriteBatch batch;
    s = batch.Put(cf.manifest, kManifestKey, EncodeManifest(upgraded));
    if (s.ok()) s = PutFormat3Counters(cf, &batch);
    rocksdb::WriteOptions write;
    write.sync = true;
    if (s.ok()) s = db->Write(write, &batch);
    LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(s, path, "upgrading the store from format version 2 to 3"));
    return upgraded;
  }
  return manifest;
}

// The message for a LOCK held by another writer; `detail` is RocksDB's.
absl::Status LockedError(const std::string& path, const std::string& detail) {
  const bool this_process = absl::StrContains(detail, "current process");
  return absl::FailedPreconditionError(absl::StrCat(
      path, ": the collection is in use by another lateral process",
      this_process ? " (it is already open for writing in this process)" : "",
      ": only one may write to it at a time. Wait for that process to finish, or open the collection "
      "read-only to search it meanwhile (RocksDB: ",
      detail, ")"));
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
  if (options.read_only) {
    // Opened read-only, RocksDB may open a subset of the families, and cannot
    // create any: open ours that exist (a format-2 store has fewer).
    db_options.create_missing_column_families = false;
  }
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
    if (options.read_only) {
      std::erase_if(names, [&](const std::string& name) {
        return std::find(existing.begin(), existing.end(), name) == existing.end();
      });
    } else {
      for (const std::string& name : existing) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
    }
  }
  const std::shared_ptr<rocksdb::Cache> cache = MakeBlockCache(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names)
    descriptors.emplace_back(name, MakeFamilyOptions(name, options, cache));

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  if (options.read_only) {
    // A writer in another process may, between our reading its MANIFEST and
    // opening the files it lists, finish a compaction and delete some (or
    // start a new MANIFEST): the open then fails with a missing file. Once
    // open, every table file is held open (max_open_files = -1), so later
    // deletions do not matter. Retry the open a few times.
    for (int attempt = 0; attempt < kReadOnlyOpenAttempts; ++attempt) {
      s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db,
                                       /*error_if_wal_file_exists=*/false);
      if (s.ok() || !(s.IsIOError() || s.IsCorruption() || s.IsPathNotFound())) break;
    }
  } else {
    s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  }
  if (!s.ok()) {
    // RocksDB reports a held LOCK file as an IOError mentioning the lock.
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) return LockedError(path, s.ToString());
    return FromRocksDbStatus(s, path, options.read_only ? "opening the store read-only" : "opening the store");
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
  absl::StatusOr<std::vector<uint32_t>> Apply(const CollectionWrite& write) override {
    return ApplyWrite(WriteView{write.upserts, write.deletes, write.put_sources, write.delete_sources,
                                write.put_settings});
  }
  absl::StatusOr<std::vector<uint32_t>> Upsert(absl::Span<const DocumentWrite> documents) override {
    return ApplyWrite(WriteView{.upserts = documents});
  }
  absl::Status Delete(absl::Span<const std::string> external_ids) override {
    return ApplyWrite(WriteView{.deletes = external_ids}).status();
  }
  absl::Status PutSetting(std::string_view key, std::string_view value) override {
    const std::pair<std::string, std::string> setting(key, value);
    return ApplyWrite(WriteView{.put_settings = absl::MakeConstSpan(&setting, 1)}).status();
  }
  bool read_only() const override { return options_.read_only; }
  std::unique_ptr<StoreSnapshot> Snapshot() const override {
    return std::make_unique<RocksDbSnapshot>(&reader_);
  }
  absl::StatusOr<uint64_t> DiskBytes() const override;
  absl::Status Compact() override;
  absl::Status Flush() override;

 private:
  // A document as validated and encoded before anything is written.
  struct EncodedWrite {
    const DocumentWrite* write;
    std::string record;
    std::string codes;                // empty in a lexical-only store
    std::vector<uint32_t> centroids;  // distinct, ascending
    std::string doc_terms;            // empty when the document has no lexical terms
  };
  // A CollectionWrite without copies (Upsert and Delete pass their spans).
  struct WriteView {
    absl::Span<const DocumentWrite> upserts = {};
    absl::Span<const std::string> deletes = {};
    absl::Span<const SourceRecord> put_sources = {};
    absl::Span<const std::string> delete_sources = {};
    absl::Span<const std::pair<std::string, std::string>> put_settings = {};
    bool empty() const {
      return upserts.empty() && deletes.empty() && put_sources.empty() && delete_sources.empty() &&
             put_settings.empty();
    }
  };
  // The persisted counters, as a batch changes them.
  struct Counters {
    uint64_t next_doc_id = 0;
    uint64_t num_documents = 0;
    uint64_t lexical_documents = 0;
    uint64_t lexical_total_length = 0;
    uint64_t num_sources = 0;
  };

  absl::StatusOr<std::vector<uint32_t>> ApplyWrite(const WriteView& write);
  // FailedPrecondition when opened read-only; `what` names the refused write.
  absl::Status CheckWritable(absl::string_view what) const;
  absl::Status ValidateSources(const WriteView& write) const;
  absl::Status ValidateSettings(const WriteView& write) const;
  absl::StatusOr<bool> SourceExists(absl::string_view path) const;

  absl::Status ValidateCodec(const CodecParts& codec) const;
  absl::StatusOr<std::vector<EncodedWrite>> ValidateAndEncode(absl::Span<const DocumentWrite> documents) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds to `batch` the removal of document `doc_id` (record, codes, terms;
  // not its external id), to `edits` and `lexical` the removal of its
  // postings (found from its stored codes and terms), and updates `counters`.
  absl::Status RemoveDocument(uint32_t doc_id, absl::string_view external_id, rocksdb::WriteBatch* batch,
                              PostingEdits* edits, LexicalEdits* lexical, Counters* counters) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
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
  uint64_t lexical_documents_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t lexical_total_length_ ABSL_GUARDED_BY(write_mu_) = 0;
  uint64_t num_sources_ ABSL_GUARDED_BY(write_mu_) = 0;
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
  LATERAL_ASSIGN_OR_RETURN(lexical_documents_, reader_.ReadOptionalCounter(nullptr, kLexicalDocumentsKey));
  LATERAL_ASSIGN_OR_RETURN(lexical_total_length_, reader_.ReadOptionalCounter(nullptr, kLexicalTotalLengthKey));
  LATERAL_ASSIGN_OR_RETURN(num_sources_, reader_.ReadOptionalCounter(nullptr, kNumSourcesKey));
  if (lexical_documents_ > num_documents_) {
    return absl::DataLossError(absl::StrCat(path_, ": implausible counters (", lexical_documents_,
                                            " documents with lexical terms, ", num_documents_, " documents)"));
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<CodecHeader> header, reader_.ReadCodecHeader(nullptr));
  num_centroids_ = header.has_value() ? header->num_centroids : 0;
  return absl::OkStatus();
}

absl::Status RocksDbCollectionStore::CheckWritable(absl::string_view what) const {
  if (!options_.read_only) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(path_, ": cannot ", what,
                                                    ": the store was opened read-only; open it for writing "
                                                    "(only one lateral process may do so at a time)"));
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
  LATERAL_RETURN_IF_ERROR(CheckWritable("store a codec"));
  if (manifest_.IsLexicalOnly()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": cannot store a codec in a lexical-only store (it has no dense encoder); "
                            "re-index the collection with an encoder into a new store"));
  }
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
  const bool lexical_only = manifest_.IsLexicalOnly();
  if (!documents.empty() && !lexical_only && num_centroids_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": no codec stored yet; store one (PutCodec) before adding documents"));
  }
  const size_t code_bytes = reader_.code_bytes();
  // Ids first, in order (cheap, and a duplicate is named by both positions).
  absl::flat_hash_map<absl::string_view, size_t> seen;  // external id -> position in the batch
  for (size_t doc_idx = 0; doc_idx < documents.size(); ++doc_idx) {
    const std::string& external_id = documents[doc_idx].record.external_id;
    if (external_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": document ", doc_idx, " of the batch has an empty external id"));
    }
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
  }
  // Then each document on its own, in parallel: validating and encoding its
  // terms and records is most of a large write's CPU time, and the ingest
  // pipeline calls Apply from its one ordered stage. The first failing
  // document in batch order is reported, as a serial loop would.
  std::vector<EncodedWrite> encoded(documents.size());
  std::vector<absl::Status> errors(documents.size());
  auto encode_one = [&](size_t doc_idx) -> absl::Status {
    const DocumentWrite& write = documents[doc_idx];
    const std::string name = absl::StrCat("document \"", write.record.external_id, "\"");
    const DocumentCodes& codes = write.codes;
    const size_t n_tokens = codes.centroid_ids.size();
    if (lexical_only) {
      if (n_tokens != 0 || !codes.residual_codes.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ": ", name, " has ", n_tokens, " tokens of codes, but the store is lexical-only "
                         "(no dense encoder): documents carry lexical terms only"));
      }
    } else {
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
    }
    LATERAL_RETURN_IF_ERROR(ValidateLexicalTerms(write.lexical, absl::StrCat(path_, ": ", name)));
    EncodedWrite& e = encoded[doc_idx];
    e.write = &write;
    e.record = EncodeDocument(write.record);
    if (!lexical_only) e.codes = EncodeCodes(codes);
    if (!write.lexical.term_frequencies.empty()) e.doc_terms = EncodeDocTerms(write.lexical);
    if (e.record.size() > kMaxRecordBytes || e.codes.size() > kMaxRecordBytes ||
        e.doc_terms.size() > kMaxRecordBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": ", name, " is too large (", e.record.size(), " bytes of text and metadata, ", e.codes.size(),
          " bytes of codes, ", e.doc_terms.size(), " bytes of terms; the limit is ", kMaxRecordBytes, ")"));
    }
    if (!lexical_only) e.centroids = DistinctCentroids(codes.centroid_ids);
    return absl::OkStatus();
  };
  constexpr size_t kSerialBelow = 16;  // small writes: not worth the tasks
  if (documents.size() < kSerialBelow) {
    for (size_t i = 0; i < documents.size(); ++i) {
      LATERAL_RETURN_IF_ERROR(encode_one(i));
    }
    return encoded;
  }
  tbb::parallel_for(size_t{0}, documents.size(), [&](size_t i) { errors[i] = encode_one(i); });
  for (const absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  return encoded;
}

absl::Status RocksDbCollectionStore::ValidateSources(const WriteView& write) const {
  absl::flat_hash_map<absl::string_view, size_t> seen;
  for (size_t i = 0; i < write.put_sources.size(); ++i) {
    const SourceRecord& source = write.put_sources[i];
    if (source.path.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": source record ", i, " has an empty path"));
    }
    if (source.path.size() > kMaxSourcePathBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": source record ", i, ": path of ",
                                                     source.path.size(), " bytes exceeds ", kMaxSourcePathBytes));
    }
    auto [it, inserted] = seen.emplace(source.path, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": source \"", source.path,
                                                     "\" is put twice in one write (records ", it->second, " and ",
                                                     i, ")"));
    }
    size_t bytes = source.content_sha256.size() + source.format.size() + source.settings_fingerprint.size();
    for (const std::string& id : source.document_ids) bytes += id.size();
    if (bytes > kMaxRecordBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": source \"", source.path, "\" is too large"));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbCollectionStore::ValidateSettings(const WriteView& write) const {
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& [key, value] : write.put_settings) {
    if (key.empty() || key.size() > kMaxSettingKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": setting key of ", key.size(),
                                                     " bytes; keys take 1 to ", kMaxSettingKeyBytes, " bytes"));
    }
    if (value.size() > kMaxSettingValueBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": setting \"", key, "\": value of ", value.size(),
                                                     " bytes exceeds ", kMaxSettingValueBytes));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": setting \"", key, "\" is put twice in one write"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksDbCollectionStore::SourceExists(absl::string_view path) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_.sources, ToSlice(path), &value);
  if (s.IsNotFound()) return false;
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(s, path_, absl::StrCat("reading ", DescribeKey(kSourcesFamily, path))));
  return true;
}

absl::Status RocksDbCollectionStore::RemoveDocument(uint32_t doc_id, absl::string_view external_id,
                                                    rocksdb::WriteBatch* batch, PostingEdits* edits,
                                                    LexicalEdits* lexical, Counters* counters) const {
  const std::string key = DocIdKey(doc_id);
  rocksdb::Status s = batch->Delete(cf_.documents, key);
  if (!manifest_.IsLexicalOnly()) {
    LATERAL_ASSIGN_OR_RETURN(std::optional<DocumentCodes> codes, reader_.ReadCodes(nullptr, doc_id));
    if (!codes.has_value()) {
      return absl::DataLossError(absl::StrCat(path_, ": external id \"", external_id, "\" maps to document ",
                                              doc_id, ", which has no codes"));
    }
    if (s.ok()) s = batch->Delete(cf_.codes, key);
    // Decoded codes are grouped by centroid: consecutive duplicates only.
    for (size_t i = 0; i < codes->centroid_ids.size(); ++i) {
      if (i == 0 || codes->centroid_ids[i] != codes->centroid_ids[i - 1]) {
        edits->Remove(codes->centroid_ids[i], doc_id);
      }
    }
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<LexicalTerms> terms, reader_.ReadDocTerms(nullptr, doc_id));
  if (terms.has_value()) {
    if (counters->lexical_documents == 0 || counters->lexical_total_length < terms->length) {
      return absl::DataLossError(absl::StrCat(path_, ": lexical statistics (", counters->lexical_documents,
                                              " documents, total length ", counters->lexical_total_length,
                                              ") cannot include document ", doc_id, " of length ", terms->length));
    }
    if (s.ok()) s = batch->Delete(cf_.doc_terms, key);
    --counters->lexical_documents;
    counters->lexical_total_length -= terms->length;
    lexical->Remove(std::move(*terms), doc_id);
  }
  --counters->num_documents;
  return FromRocksDbStatus(s, path_, "building a batch");
}

absl::StatusOr<std::vector<uint32_t>> RocksDbCollectionStore::ApplyWrite(const WriteView& write) {
  LATERAL_RETURN_IF_ERROR(CheckWritable("write"));
  if (write.empty()) return std::vector<uint32_t>();
  absl::MutexLock lock(&write_mu_);
  // Validate everything before building the batch: any error writes nothing.
  LATERAL_ASSIGN_OR_RETURN(std::vector<EncodedWrite> encoded, ValidateAndEncode(write.upserts));
  if (next_doc_id_ + encoded.size() > uint64_t{kMaxDocId} + 1) {
    return absl::ResourceExhaustedError(absl::StrCat(path_, ": out of internal document ids (", next_doc_id_,
                                                     " used; ids are never reused); rebuild the store"));
  }
  LATERAL_RETURN_IF_ERROR(ValidateSources(write));
  LATERAL_RETURN_IF_ERROR(ValidateSettings(write));
  absl::flat_hash_set<absl::string_view> upserted;
  for (const DocumentWrite& d : write.upserts) upserted.insert(d.record.external_id);
  // Deleting an id twice in one call means deleting it once.
  absl::flat_hash_set<absl::string_view> seen;
  std::vector<std::pair<absl::string_view, uint32_t>> found;
  std::vector<std::string> missing;
  for (const std::string& external_id : write.deletes) {
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
                     "; nothing was written"));
  }

  rocksdb::WriteBatch batch;
  PostingEdits edits;
  LexicalEdits lexical;
  Counters counters{next_doc_id_, num_documents_, lexical_documents_, lexical_total_length_, num_sources_};
  rocksdb::Status s;
  for (const auto& [external_id, doc_id] : found) {
    if (upserted.contains(external_id)) continue;  // replaced below
    LATERAL_RETURN_IF_ERROR(RemoveDocument(doc_id, external_id, &batch, &edits, &lexical, &counters));
    if (s.ok()) s = batch.Delete(cf_.external_ids, ToSlice(external_id));
  }
  std::vector<uint32_t> doc_ids;
  doc_ids.reserve(encoded.size());
  for (const EncodedWrite& e : encoded) {
    const std::string& external_id = e.write->record.external_id;
    LATERAL_ASSIGN_OR_RETURN(std::optional<uint32_t> old_id, reader_.ReadExternalId(nullptr, external_id));
    if (old_id.has_value()) {
      LATERAL_RETURN_IF_ERROR(RemoveDocument(*old_id, external_id, &batch, &edits, &lexical, &counters));
    }
    const uint32_t doc_id = static_cast<uint32_t>(counters.next_doc_id++);
    const std::string key = DocIdKey(doc_id);
    if (s.ok()) s = batch.Put(cf_.documents, key, e.record);
    if (s.ok() && !e.codes.empty()) s = batch.Put(cf_.codes, key, e.codes);
    if (s.ok()) s = batch.Put(cf_.external_ids, external_id, DocIdValue(doc_id));
    for (uint32_t centroid : e.centroids) edits.Add(centroid, doc_id);
    if (!e.doc_terms.empty()) {
      if (s.ok()) s = batch.Put(cf_.doc_terms, key, e.doc_terms);
      lexical.Add(e.write->lexical, doc_id);
      ++counters.lexical_documents;
      counters.lexical_total_length += e.write->lexical.length;
    }
    ++counters.num_documents;
    doc_ids.push_back(doc_id);
  }
  // Sources: deletes, then puts (a path both deleted and put keeps the put).
  absl::flat_hash_set<absl::string_view> put_paths;
  for (const SourceRecord& source : write.put_sources) put_paths.insert(source.path);
  absl::flat_hash_set<absl::string_view> deleted_paths;
  for (const std::string& path : write.delete_sources) {
    if (path.empty() || put_paths.contains(path) || !deleted_paths.insert(path).second) continue;
    LATERAL_ASSIGN_OR_RETURN(bool exists, SourceExists(path));
    if (!exists) continue;  // unknown paths are ignored
    if (s.ok()) s = batch.Delete(cf_.sources, ToSlice(path));
    --counters.num_sources;
  }
  for (const SourceRecord& source : write.put_sources) {
    LATERAL_ASSIGN_OR_RETURN(bool exists, SourceExists(source.path));
    if (!exists) ++counters.num_sources;
    if (s.ok()) s = batch.Put(cf_.sources, source.path, EncodeSource(source));
  }
  for (const auto& [key, value] : write.put_settings) {
    if (s.ok()) s = batch.Put(cf_.settings, key, value);
  }
  if (s.ok()) s = edits.AddTo(cf_.postings, &batch);
  if (s.ok()) s = lexical.AddTo(cf_.lexical_postings, &batch);
  if (s.ok()) s = batch.Put(cf_.counters, kNextDocIdKey, EncodeCounter(counters.next_doc_id));
  if (s.ok()) s = batch.Put(cf_.counters, kNumDocumentsKey, EncodeCounter(counters.num_documents));
  if (s.ok()) s = batch.Put(cf_.counters, kLexicalDocumentsKey, EncodeCounter(counters.lexical_documents));
  if (s.ok()) s = batch.Put(cf_.counters, kLexicalTotalLengthKey, EncodeCounter(counters.lexical_total_length));
  if (s.ok()) s = batch.Put(cf_.counters, kNumSourcesKey, EncodeCounter(counters.num_sources));
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(s, path_, "building a batch"));
  LATERAL_RETURN_IF_ERROR(Commit(
      &batch, absl::StrCat("writing a batch of ", encoded.size(), " documents, ", found.size(), " deletes, ",
                           write.put_sources.size() + write.delete_sources.size(), " source changes and ",
                           write.put_settings.size(), " settings")));
  next_doc_id_ = counters.next_doc_id;
  num_documents_ = counters.num_documents;
  lexical_documents_ = counters.lexical_documents;
  lexical_total_length_ = counters.lexical_total_length;
  num_sources_ = counters.num_sources;
  return doc_ids;
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

absl::Status RocksDbCollectionStore::Flush() {
  LATERAL_RETURN_IF_ERROR(CheckWritable("flush"));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocksDbStatus(db_->Flush(flush, cf_.all()), path_, "flushing memtables");
}

absl::Status RocksDbCollectionStore::Compact() {
  LATERAL_RETURN_IF_ERROR(CheckWritable("compact"));
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
  LATERAL_RETURN_IF_ERROR(FromRocksDbStatus(db_->CompactRange(compact, cf_.postings, nullptr, nullptr), path_,
                                            "compacting postings (dropping empty segments)"));
  return FromRocksDbStatus(db_->CompactRange(compact, cf_.lexical_postings, nullptr, nullptr), path_,
                           "compacting lexical postings (dropping empty segments)");
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
    if (!create.has_value() || options.read_only) {
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
  LATERAL_ASSIGN_OR_RETURN(Manifest manifest, LoadOrCreateManifest(path, *database, create, options.read_only));
  auto store = std::make_unique<RocksDbCollectionStore>(path, options, std::move(database), manifest);
  LATERAL_RETURN_IF_ERROR(store->LoadState());
  return store;
}

}  // namespace lateral::storage

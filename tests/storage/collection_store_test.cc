#include "storage/collection_store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_store.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::Count;
using ::lateral::testing::RawDb;
using ::lateral::testing::SameRecord;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::StoreCounts;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestManifest;
using ::testing::HasSubstr;

std::unique_ptr<CollectionStore> MustOpen(const std::string& path, const std::optional<Manifest>& create,
                                          const StoreOptions& options = StoreOptions()) {
  auto store = CollectionStore::Open(path, create, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

// A fresh store with the test codec.
std::unique_ptr<CollectionStore> NewStore(const std::string& path) {
  auto store = MustOpen(path, TestManifest());
  if (store) {
    EXPECT_TRUE(store->PutCodec(TestCodec()).ok());
  }
  return store;
}

std::set<uint32_t> Distinct(const std::vector<uint32_t>& ids) {
  return std::set<uint32_t>(ids.begin(), ids.end());
}

bool HasPosting(const StoreSnapshot& snapshot, uint32_t centroid, uint32_t doc_id) {
  auto postings = snapshot.GetPostings(centroid);
  EXPECT_TRUE(postings.ok()) << postings.status();
  return postings.ok() && std::count(postings->begin(), postings->end(), doc_id) == 1;
}

TEST(CollectionStoreTest, RoundTripsEverything) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  std::vector<DocumentWrite> docs = {TestDocument("a", 1), TestDocument("b", 2, 3), TestDocument("c", 3, 40)};
  std::vector<uint32_t> ids;
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->manifest().encoder_identity, "synthetic:dim16");
    EXPECT_EQ(store->manifest().format_version, storage::kFormatVersion);
    auto written = store->Upsert(docs);
    ASSERT_TRUE(written.ok()) << written.status();
    ids = *written;
    EXPECT_EQ(ids, (std::vector<uint32_t>{0, 1, 2}));
  }
  // Everything survives a reopen without `create`.
  auto store = MustOpen(path, std::nullopt);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->manifest().encoder_identity, "synthetic:dim16");
  EXPECT_EQ(store->manifest().dim, testing::kTestDim);
  EXPECT_EQ(store->manifest().nbits, testing::kTestNbits);
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 3);

  auto codec = snapshot->GetCodec();
  ASSERT_TRUE(codec.ok()) << codec.status();
  ASSERT_TRUE(codec->has_value());
  const CodecParts expected = TestCodec();
  EXPECT_EQ((*codec)->dim, expected.dim);
  EXPECT_EQ((*codec)->nbits, expected.nbits);
  EXPECT_EQ((*codec)->centroids, expected.centroids);
  EXPECT_EQ((*codec)->bucket_cutoffs, expected.bucket_cutoffs);
  EXPECT_EQ((*codec)->bucket_weights, expected.bucket_weights);

  for (size_t i = 0; i < docs.size(); ++i) {
    auto id = snapshot->LookupExternalId(docs[i].record.external_id);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, ids[i]);
    auto record = snapshot->GetDocument(ids[i]);
    ASSERT_TRUE(record.ok() && record->has_value()) << record.status();
    EXPECT_TRUE(SameRecord(**record, docs[i].record));
    // Tokens come back grouped by centroid, residual codes moved alike.
    auto codes = snapshot->GetCodes(ids[i]);
    ASSERT_TRUE(codes.ok() && codes->has_value()) << codes.status();
    const DocumentCodes grouped = storage::GroupByCentroid(docs[i].codes);
    EXPECT_EQ((*codes)->centroid_ids, grouped.centroid_ids);
    EXPECT_EQ((*codes)->residual_codes, grouped.residual_codes);
    EXPECT_TRUE(std::is_sorted((*codes)->centroid_ids.begin(), (*codes)->centroid_ids.end()));
    for (uint32_t c : Distinct(docs[i].codes.centroid_ids)) EXPECT_TRUE(HasPosting(*snapshot, c, ids[i]));
  }
  EXPECT_FALSE(snapshot->LookupExternalId("nope")->has_value());
  EXPECT_FALSE(snapshot->GetDocument(99)->has_value());
  EXPECT_FALSE(snapshot->GetCodes(99)->has_value());
  EXPECT_TRUE(snapshot->GetPostings(UINT32_MAX)->empty());

  std::vector<uint32_t> scanned;
  LATERAL_EXPECT_OK(snapshot->ForEachCodes([&](uint32_t id, const DocumentCodes& c) {
    scanned.push_back(id);
    EXPECT_EQ(c.centroid_ids, storage::GroupByCentroid(docs[id].codes).centroid_ids);
    EXPECT_EQ(c.residual_codes, storage::GroupByCentroid(docs[id].codes).residual_codes);
    return absl::OkStatus();
  }));
  EXPECT_EQ(scanned, ids);
  scanned.clear();
  LATERAL_EXPECT_OK(snapshot->ForEachDocument([&](uint32_t id, const DocumentRecord& r) {
    scanned.push_back(id);
    EXPECT_TRUE(SameRecord(r, docs[id].record));
    return absl::OkStatus();
  }));
  EXPECT_EQ(scanned, ids);
  // A callback's error stops the scan and comes back.
  int calls = 0;
  absl::Status stop = snapshot->ForEachCodes([&](uint32_t, const DocumentCodes&) {
    ++calls;
    return absl::CancelledError("enough");
  });
  EXPECT_EQ(stop.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
}

TEST(CollectionStoreTest, CodecIsChunkedAndReplaceableOnlyWhileEmpty) {
  ScratchDir dir;
  auto store = MustOpen(dir.Sub("store"), TestManifest());
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->Snapshot()->GetCodec()->has_value());
  // 20000 x 16 floats = 1.25 MiB: two chunks.
  LATERAL_ASSERT_OK(store->PutCodec(TestCodec(20000)));
  auto big = store->Snapshot()->GetCodec();
  ASSERT_TRUE(big.ok() && big->has_value()) << big.status();
  EXPECT_EQ((*big)->centroids, TestCodec(20000).centroids);
  // A smaller codec replaces it entirely.
  LATERAL_ASSERT_OK(store->PutCodec(TestCodec(5)));
  EXPECT_EQ((*store->Snapshot()->GetCodec())->centroids.size(), 5u * testing::kTestDim);

  CodecParts wrong_dim = TestCodec();
  wrong_dim.dim = 8;
  EXPECT_EQ(store->PutCodec(wrong_dim).code(), absl::StatusCode::kInvalidArgument);
  CodecParts wrong_tables = TestCodec();
  wrong_tables.bucket_weights.pop_back();
  EXPECT_EQ(store->PutCodec(wrong_tables).code(), absl::StatusCode::kInvalidArgument);
  CodecParts ragged = TestCodec();
  ragged.centroids.pop_back();
  EXPECT_EQ(store->PutCodec(ragged).code(), absl::StatusCode::kInvalidArgument);

  // Centroid 7 exceeds the 5-centroid codec.
  DocumentWrite doc = TestDocument("a", 1, 4, 5);
  ASSERT_TRUE(store->Upsert({doc}).ok());
  absl::Status replace = store->PutCodec(TestCodec());
  EXPECT_EQ(replace.code(), absl::StatusCode::kFailedPrecondition) << replace;
  EXPECT_THAT(std::string(replace.message()), HasSubstr("holds 1 documents"));
}

TEST(CollectionStoreTest, UpsertReplacesUnderAFreshId) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({TestDocument("keep", 10), TestDocument("a", 11)}).ok());
  auto before = store->Snapshot();
  const uint32_t old_id = **before->LookupExternalId("a");
  const DocumentCodes old_codes = **before->GetCodes(old_id);

  DocumentWrite replacement = TestDocument("a", 12, 5);
  replacement.codes.centroid_ids = {30, 31, 31, 30, 29};  // disjoint from most of the old ones
  auto ids = store->Upsert({replacement});
  ASSERT_TRUE(ids.ok()) << ids.status();
  const uint32_t new_id = (*ids)[0];
  EXPECT_GT(new_id, old_id);

  auto after = store->Snapshot();
  EXPECT_EQ(after->NumDocuments(), 2);
  EXPECT_EQ(**after->LookupExternalId("a"), new_id);
  EXPECT_FALSE(after->GetDocument(old_id)->has_value());
  EXPECT_FALSE(after->GetCodes(old_id)->has_value());
  for (uint32_t c = 0; c < testing::kTestCentroids; ++c) {
    auto postings = after->GetPostings(c);
    ASSERT_TRUE(postings.ok());
    EXPECT_EQ(std::count(postings->begin(), postings->end(), old_id), 0) << "centroid " << c;
  }
  for (uint32_t c : {29u, 30u, 31u}) EXPECT_TRUE(HasPosting(*after, c, new_id));
  EXPECT_TRUE(SameRecord(**after->GetDocument(new_id), replacement.record));
  EXPECT_TRUE(CheckStoreInvariants(*after, testing::kTestCentroids));
  // The earlier snapshot still has the old version.
  EXPECT_EQ((*before->GetCodes(old_id))->centroid_ids, old_codes.centroid_ids);
}

TEST(CollectionStoreTest, DeleteRemovesDocumentAndPostings) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2), TestDocument("c", 3)}).ok());
  const uint32_t b = **store->Snapshot()->LookupExternalId("b");
  const std::vector<uint32_t> b_centroids = (*store->Snapshot()->GetCodes(b))->centroid_ids;

  // One unknown id: NotFound, and nothing is deleted.
  const StoreCounts counts = Count(*store->Snapshot());
  absl::Status missing = store->Delete({"a", "zz"});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("\"zz\""));
  EXPECT_EQ(Count(*store->Snapshot()), counts);

  LATERAL_ASSERT_OK(store->Delete({"b", "b"}));  // a repeated id counts once
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 2);
  EXPECT_FALSE(snapshot->LookupExternalId("b")->has_value());
  EXPECT_FALSE(snapshot->GetDocument(b)->has_value());
  EXPECT_FALSE(snapshot->GetCodes(b)->has_value());
  for (uint32_t c : Distinct(b_centroids)) EXPECT_FALSE(HasPosting(*snapshot, c, b));
  EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
  LATERAL_EXPECT_OK(store->Delete({}));
}

TEST(CollectionStoreTest, IdsAreNeverReusedAcrossReopen) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2), TestDocument("c", 3)}).ok());
    LATERAL_ASSERT_OK(store->Delete({"c", "b"}));  // the highest id goes too
  }
  auto store = MustOpen(path, TestManifest());
  ASSERT_NE(store, nullptr);
  auto ids = store->Upsert({TestDocument("d", 4), TestDocument("a", 5)});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(store->Snapshot()->NumDocuments(), 2);
}

TEST(CollectionStoreTest, SnapshotKeepsItsStateWhileWritesContinue) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2)}).ok());
  auto old = store->Snapshot();
  const StoreCounts old_counts = Count(*old);
  const uint32_t a = **old->LookupExternalId("a");

  ASSERT_TRUE(store->Upsert({TestDocument("a", 3), TestDocument("c", 4)}).ok());
  LATERAL_ASSERT_OK(store->Delete({"b"}));

  EXPECT_EQ(old->NumDocuments(), 2);
  EXPECT_EQ(Count(*old), old_counts);
  EXPECT_EQ(**old->LookupExternalId("a"), a);
  EXPECT_TRUE(old->LookupExternalId("b")->has_value());
  EXPECT_FALSE(old->LookupExternalId("c")->has_value());
  EXPECT_TRUE(CheckStoreInvariants(*old, testing::kTestCentroids));

  auto now = store->Snapshot();
  EXPECT_EQ(now->NumDocuments(), 2);
  EXPECT_NE(**now->LookupExternalId("a"), a);
  EXPECT_FALSE(now->LookupExternalId("b")->has_value());
  EXPECT_TRUE(CheckStoreInvariants(*now, testing::kTestCentroids));
}

// Readers take snapshots while a writer upserts and deletes; every snapshot
// must satisfy the invariants (no half-applied batch is ever visible).
TEST(CollectionStoreTest, ConcurrentReadersSeeWholeBatches) {
  ScratchDir dir;
  StoreOptions options;
  options.write_buffer_bytes = 64 << 10;  // flushes during the test
  auto store = MustOpen(dir.Sub("store"), TestManifest(), options);
  ASSERT_NE(store, nullptr);
  LATERAL_ASSERT_OK(store->PutCodec(TestCodec()));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < 300; ++round) {
      std::vector<DocumentWrite> batch;
      for (int i = 0; i < 4; ++i)
        batch.push_back(TestDocument(absl::StrCat("doc", (round * 3 + i) % 40), round * 7 + i));
      EXPECT_TRUE(store->Upsert(batch).ok());
      if (round % 5 == 4) {
        EXPECT_TRUE(store->Delete({batch[0].record.external_id}).ok());
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  std::atomic<int> checks{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        auto snapshot = store->Snapshot();
        EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
        ++checks;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_GT(checks.load(), 0);
}

TEST(CollectionStoreTest, InvalidBatchesLeaveTheStoreUnchanged) {
  ScratchDir dir;
  {
    auto no_codec = MustOpen(dir.Sub("empty"), TestManifest());
    ASSERT_NE(no_codec, nullptr);
    auto result = no_codec->Upsert({TestDocument("a", 1)});
    EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("no codec"));
  }
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2)}).ok());
  const StoreCounts before = Count(*store->Snapshot());

  struct Case {
    std::string name;
    DocumentWrite bad;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({"empty external id", TestDocument("", 5), "empty external id"});
  cases.push_back({"duplicate in batch", TestDocument("new", 6), "appears twice"});
  {
    DocumentWrite w = TestDocument("short-codes", 7);
    w.codes.residual_codes.pop_back();
    cases.push_back({"code size", w, "needs 32"});
  }
  cases.push_back({"centroid out of range", TestDocument("far", 8, 4, 1000), "centroids"});
  {
    DocumentWrite w = TestDocument("hollow", 9);
    w.codes = DocumentCodes();
    cases.push_back({"no tokens", w, "\"hollow\" has no tokens"});
  }
  {
    DocumentWrite w = TestDocument("a", 10);  // would replace "a", were the batch valid
    w.record.external_id = std::string(5000, 'x');
    cases.push_back({"long external id", w, "exceeds"});
  }
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    // A valid replacement of "a" and a new document come first: neither may land.
    std::vector<DocumentWrite> batch = {TestDocument("a", 20), TestDocument("new", 21), c.bad};
    if (c.name == "centroid out of range") {
      // Make sure at least one centroid is out of range.
      batch[2].codes.centroid_ids[0] = testing::kTestCentroids;
    }
    auto result = store->Upsert(batch);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
    auto snapshot = store->Snapshot();
    EXPECT_EQ(Count(*snapshot), before);
    EXPECT_FALSE(snapshot->LookupExternalId("new")->has_value());
    EXPECT_EQ(**snapshot->LookupExternalId("a"), 0u);
  }
  // The next valid write gets the next id: failed batches consumed none.
  auto ids = store->Upsert({TestDocument("c", 3)});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*ids)[0], 2u);
}

TEST(CollectionStoreTest, ManifestMismatchNamesBothEncoders) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  ASSERT_NE(MustOpen(path, TestManifest()), nullptr);

  Manifest other = TestManifest();
  other.encoder_identity = "lfm2-colbert-350m";
  auto opened = CollectionStore::Open(path, other);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()),
              HasSubstr("index built by encoder \"synthetic:dim16\", you are using \"lfm2-colbert-350m\""));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr(path));

  Manifest wider = TestManifest();
  wider.dim = 32;
  wider.nbits = 4;
  opened = CollectionStore::Open(path, wider);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("dim 16, you are using dim 32"));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("nbits 2, you are using nbits 4"));

  // Opening without `create` accepts any encoder and reports the stored one.
  auto any = MustOpen(path, std::nullopt);
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(any->manifest().encoder_identity, "synthetic:dim16");
}

TEST(CollectionStoreTest, NewerFormatVersionIsRefused) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  ASSERT_NE(MustOpen(path, TestManifest()), nullptr);
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    Manifest future = TestManifest();
    future.format_version = 7;
    raw.Put(storage::kManifestFamily, storage::kManifestKey, storage::EncodeManifest(future));
  }
  for (const std::optional<Manifest>& create :
       {std::optional<Manifest>(TestManifest()), std::optional<Manifest>()}) {
    auto opened = CollectionStore::Open(path, create);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(opened.status().message()), HasSubstr("format version 7"));
  }
}

TEST(CollectionStoreTest, OlderFormatVersionMustBeRebuilt) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  ASSERT_NE(NewStore(path), nullptr);
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    Manifest old = TestManifest();
    old.format_version = 1;
    raw.Put(storage::kManifestFamily, storage::kManifestKey, storage::EncodeManifest(old));
  }
  for (const std::optional<Manifest>& create :
       {std::optional<Manifest>(TestManifest()), std::optional<Manifest>()}) {
    auto opened = CollectionStore::Open(path, create);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition) << opened.status();
    const std::string message(opened.status().message());
    EXPECT_THAT(message, HasSubstr(path + ": store has format version 1"));
    EXPECT_THAT(message, HasSubstr("written by an older lateral format"));
    EXPECT_THAT(message, HasSubstr("must be rebuilt"));
  }
}

TEST(CollectionStoreTest, PathsThatAreNotStoresGiveClearErrors) {
  ScratchDir dir;
  // Missing, without create.
  auto opened = CollectionStore::Open(dir.Sub("missing"), std::nullopt);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("no lateral store"));
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr(dir.Sub("missing")));
  // An empty directory, without create.
  std::filesystem::create_directories(dir.Sub("empty"));
  opened = CollectionStore::Open(dir.Sub("empty"), std::nullopt);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("holds no database"));
  // An empty directory with create: fine.
  EXPECT_NE(MustOpen(dir.Sub("empty"), TestManifest()), nullptr);
  // A regular file.
  std::ofstream(dir.Sub("file")) << "hello";
  opened = CollectionStore::Open(dir.Sub("file"), TestManifest());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("not a lateral store"));
  // A directory with someone else's files: never turned into a store.
  std::filesystem::create_directories(dir.Sub("photos"));
  std::ofstream(dir.Sub("photos/cat.jpg")) << "meow";
  opened = CollectionStore::Open(dir.Sub("photos"), TestManifest());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("refusing to create"));
  // A RocksDB database that is not ours, with and without create.
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.Sub("foreign"), &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
    delete db;
  }
  for (const std::optional<Manifest>& create :
       {std::optional<Manifest>(TestManifest()), std::optional<Manifest>()}) {
    opened = CollectionStore::Open(dir.Sub("foreign"), create);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(opened.status().message()), HasSubstr("not a lateral store"));
  }
  // Invalid manifests are refused before anything is created.
  Manifest bad = TestManifest();
  bad.nbits = 3;
  EXPECT_EQ(CollectionStore::Open(dir.Sub("bad"), bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("bad")));
  // A store can be open only once at a time.
  auto first = MustOpen(dir.Sub("empty"), std::nullopt);
  ASSERT_NE(first, nullptr);
  opened = CollectionStore::Open(dir.Sub("empty"), std::nullopt);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition) << opened.status();
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("already open"));
}

TEST(CollectionStoreTest, DiskBytesFollowsTheDataAfterCompact) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  std::vector<DocumentWrite> docs;
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    docs.push_back(TestDocument(absl::StrCat("doc", i), i, 32));
    ids.push_back(docs.back().record.external_id);
  }
  ASSERT_TRUE(store->Upsert(docs).ok());
  LATERAL_ASSERT_OK(store->Compact());
  auto full = store->DiskBytes();
  ASSERT_TRUE(full.ok()) << full.status();
  // 2000 docs x 32 tokens x 4 B of residual codes (incompressible), plus ids.
  EXPECT_GT(*full, 2000u * 32 * 4);
  EXPECT_LT(*full, 20u << 20);
  LATERAL_ASSERT_OK(store->Delete(ids));
  LATERAL_ASSERT_OK(store->Compact());
  auto empty = store->DiskBytes();
  ASSERT_TRUE(empty.ok());
  EXPECT_LT(*empty, *full / 4);
  EXPECT_EQ(store->Snapshot()->NumDocuments(), 0);
}

TEST(CollectionStoreTest, CorruptValueIsDataLossNamingTheKey) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2)}).ok());
  }
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    raw.Put(storage::kDocumentsFamily, storage::DocIdKey(1),
            "\x01\x05"
            "ab");  // truncated record
    raw.Put(storage::kCodesFamily, storage::DocIdKey(0), std::string("\x01\xff\xff\xff\xff\x0f", 6));
  }
  auto store = MustOpen(path, std::nullopt);
  ASSERT_NE(store, nullptr);
  auto snapshot = store->Snapshot();
  auto record = snapshot->GetDocument(1);
  EXPECT_EQ(record.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(record.status().message()), HasSubstr("documents[doc 1]"));
  EXPECT_THAT(std::string(record.status().message()), HasSubstr(path));
  absl::Status scan = snapshot->ForEachCodes([](uint32_t, const DocumentCodes&) { return absl::OkStatus(); });
  EXPECT_EQ(scan.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(scan.message()), HasSubstr("codes[doc 0]"));
  // Replacing a document whose codes are unreadable fails without writing.
  auto upsert = store->Upsert({TestDocument("a", 3)});
  EXPECT_EQ(upsert.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(**store->Snapshot()->LookupExternalId("a"), 0u);
}

// Postings live in segments of 65536 doc ids; a store whose id counter starts
// just below a block boundary (set underneath the API: the store only reads
// the counter) has its upserts, replacements and deletes cross it. The
// expected postings come from the ids Upsert returned, not from the store.
TEST(CollectionStoreTest, PostingsFollowWritesAcrossBlockBoundaries) {
  for (const uint64_t first_id : {uint64_t{65536} - 5, uint64_t{storage::kMaxDocId} + 1 - 12}) {
    SCOPED_TRACE(absl::StrCat("first id ", first_id));
    ScratchDir dir;
    const std::string path = dir.Sub("store");
    ASSERT_NE(NewStore(path), nullptr);
    {
      RawDb raw(path);
      ASSERT_TRUE(raw.ok());
      raw.Put(storage::kCountersFamily, storage::kNextDocIdKey, storage::EncodeCounter(first_id));
    }
    auto store = MustOpen(path, TestManifest());
    ASSERT_NE(store, nullptr);
    std::map<std::string, std::pair<uint32_t, std::set<uint32_t>>> live;  // external id -> (doc id, centroids)
    auto upsert = [&](const std::vector<DocumentWrite>& docs) {
      auto ids = store->Upsert(docs);
      ASSERT_TRUE(ids.ok()) << ids.status();
      for (size_t i = 0; i < docs.size(); ++i) {
        live[docs[i].record.external_id] = {(*ids)[i], Distinct(docs[i].codes.centroid_ids)};
      }
    };
    auto check = [&](const std::string& when) {
      SCOPED_TRACE(when);
      std::map<uint32_t, std::vector<uint32_t>> expected;
      for (const auto& [external_id, doc] : live) {
        for (uint32_t c : doc.second) expected[c].push_back(doc.first);
      }
      auto snapshot = store->Snapshot();
      for (uint32_t c = 0; c < testing::kTestCentroids; ++c) {
        std::vector<uint32_t>& want = expected[c];
        std::sort(want.begin(), want.end());
        auto got = snapshot->GetPostings(c);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(*got, want) << "centroid " << c;
      }
      EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
    };
    std::vector<DocumentWrite> docs;
    for (int i = 0; i < 6; ++i) docs.push_back(TestDocument(absl::StrCat("d", i), 100 + i, 12));
    upsert(docs);  // ids first_id .. first_id + 5: both sides of the boundary
    check("after the first upsert");
    if (first_id < 65536) {
      EXPECT_EQ(storage::BlockOf(live["d0"].first), 0u);
      EXPECT_EQ(storage::BlockOf(live["d5"].first), 1u);
    } else {
      EXPECT_EQ(storage::BlockOf(live["d0"].first), storage::kMaxBlock);
    }
    // Replacements move d0 (old block) and d5 (new block) to fresh ids in the
    // new block: removals and additions in one operand per segment.
    upsert({TestDocument("d0", 200, 12), TestDocument("d5", 201, 12), TestDocument("d6", 202, 12)});
    check("after replacing");
    LATERAL_ASSERT_OK(store->Delete({"d1", "d6"}));
    live.erase("d1");
    live.erase("d6");
    check("after deleting");
    LATERAL_ASSERT_OK(store->Compact());
    check("after compacting");
    store.reset();
    store = MustOpen(path, std::nullopt);
    ASSERT_NE(store, nullptr);
    check("after reopening");
    if (first_id > storage::kMaxDocId - 100) {
      // 9 of the 12 ids are used: the highest block fills up to kMaxDocId.
      upsert({TestDocument("d7", 300, 12), TestDocument("d8", 301, 12), TestDocument("d9", 302, 12)});
      EXPECT_EQ(live["d9"].first, storage::kMaxDocId);
      check("after filling the last block");
      auto full = store->Upsert({TestDocument("d10", 303, 12)});
      EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << full.status();
    }
  }
}

// A damaged segment is DataLoss naming its key; updates merged onto it keep
// it damaged (and reported) without failing compactions or other writes.
TEST(CollectionStoreTest, CorruptSegmentIsDataLossNamingTheKey) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2)}).ok());
  }
  {
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    raw.Put(storage::kPostingsFamily, storage::SegmentKey(5, 0), std::string("\x01\x05", 2));  // truncated
    raw.Put(storage::kPostingsFamily, storage::SegmentKey(6, 0), std::string("\x01\x05", 2));
    raw.Put(storage::kPostingsFamily, storage::PostingPrefix(7) + "x", "");  // a 5-byte key
  }
  auto store = MustOpen(path, std::nullopt);
  ASSERT_NE(store, nullptr);
  auto postings = store->Snapshot()->GetPostings(5);
  EXPECT_EQ(postings.status().code(), absl::StatusCode::kDataLoss) << postings.status();
  EXPECT_THAT(std::string(postings.status().message()), HasSubstr(path + ": postings[centroid 5, block 0]"));
  auto bad_key = store->Snapshot()->GetPostings(7);
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kDataLoss) << bad_key.status();
  EXPECT_THAT(std::string(bad_key.status().message()), HasSubstr("corrupt key"));

  DocumentWrite in_six = TestDocument("c", 3, 4);
  in_six.codes.centroid_ids = {6, 1, 6, 2};
  ASSERT_TRUE(store->Upsert({in_six}).ok());
  LATERAL_ASSERT_OK(store->Compact());
  postings = store->Snapshot()->GetPostings(6);
  EXPECT_EQ(postings.status().code(), absl::StatusCode::kDataLoss) << postings.status();
  EXPECT_THAT(std::string(postings.status().message()),
              HasSubstr(path + ": postings[centroid 6, block 0]: corrupt value (merging its updates failed: "
                               "the stored segment: corrupt value"));
  // The rest of the store still works.
  ASSERT_TRUE(store->Upsert({TestDocument("d", 4)}).ok());
  auto fine = store->Snapshot()->GetPostings(1);
  EXPECT_TRUE(fine.ok()) << fine.status();
}

TEST(CollectionStoreTest, EmptiedSegmentsAreDroppedByCompact) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    std::vector<DocumentWrite> docs;
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) {
      docs.push_back(TestDocument(absl::StrCat("doc", i), i, 16));
      ids.push_back(docs.back().record.external_id);
    }
    ASSERT_TRUE(store->Upsert(docs).ok());
    LATERAL_ASSERT_OK(store->Compact());
    LATERAL_ASSERT_OK(store->Delete(ids));
    // Until compacted, the emptied segments read as no postings.
    EXPECT_EQ(Count(*store->Snapshot()), StoreCounts());
    LATERAL_ASSERT_OK(store->Compact());
    EXPECT_EQ(Count(*store->Snapshot()), StoreCounts());
  }
  RawDb raw(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw.Scan(storage::kPostingsFamily).empty());
  EXPECT_TRUE(raw.Scan(storage::kCodesFamily).empty());
}

std::vector<std::string> SstFiles(const std::string& path) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst") files.push_back(entry.path());
  }
  return files;
}

// Builds a compacted store with some data and returns its SST files.
std::vector<std::string> CompactedStore(const std::string& path) {
  auto store = NewStore(path);
  EXPECT_NE(store, nullptr);
  std::vector<DocumentWrite> docs;
  for (int i = 0; i < 300; ++i) docs.push_back(TestDocument(absl::StrCat("doc", i), i, 16));
  EXPECT_TRUE(store->Upsert(docs).ok());
  EXPECT_TRUE(store->Compact().ok());
  return SstFiles(path);
}

// Reads everything; returns the first error.
absl::Status ReadAll(const std::string& path) {
  auto store = CollectionStore::Open(path, std::nullopt);
  if (!store.ok()) return store.status();
  auto snapshot = (*store)->Snapshot();
  auto codec = snapshot->GetCodec();
  if (!codec.ok()) return codec.status();
  absl::Status s =
      snapshot->ForEachDocument([](uint32_t, const DocumentRecord&) { return absl::OkStatus(); });
  if (!s.ok()) return s;
  s = snapshot->ForEachCodes([](uint32_t, const DocumentCodes&) { return absl::OkStatus(); });
  if (!s.ok()) return s;
  for (uint32_t c = 0; c < testing::kTestCentroids; ++c) {
    auto postings = snapshot->GetPostings(c);
    if (!postings.ok()) return postings.status();
  }
  auto id = snapshot->LookupExternalId("doc7");
  return id.status();
}

TEST(CollectionStoreTest, GarbledSstFilesAreReportedNotCrashedOn) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  const std::vector<std::string> ssts = CompactedStore(path);
  ASSERT_FALSE(ssts.empty());
  LATERAL_ASSERT_OK(ReadAll(path));
  for (const std::string& file : ssts) {
    // Overwrite the first data block's bytes; size and footer stay intact,
    // so only block checksums can notice.
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16);
    const std::string junk(64, '\x5a');
    f.write(junk.data(), junk.size());
  }
  absl::Status s = ReadAll(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_THAT(std::string(s.message()), HasSubstr("corrupt"));
}

// Damage confined to a data block: the store opens (RocksDB reads only
// footers, indexes and filters then), and the read that meets the block fails.
TEST(CollectionStoreTest, GarbledDataBlockFailsTheReadThatMeetsIt) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  std::vector<std::string> ssts = CompactedStore(path);
  ASSERT_FALSE(ssts.empty());
  // The largest file is the codes family's; its first data block starts at 0.
  const std::string largest = *std::max_element(ssts.begin(), ssts.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) < std::filesystem::file_size(b);
  });
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    const std::string junk(16, '\x5a');
    f.write(junk.data(), junk.size());
  }
  auto store = CollectionStore::Open(path, std::nullopt);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status scan =
      (*store)->Snapshot()->ForEachCodes([](uint32_t, const DocumentCodes&) { return absl::OkStatus(); });
  EXPECT_EQ(scan.code(), absl::StatusCode::kDataLoss) << scan;
  EXPECT_THAT(std::string(scan.message()), HasSubstr(path));
  EXPECT_THAT(std::string(scan.message()), HasSubstr("checksum mismatch"));
  auto codes = (*store)->Snapshot()->GetCodes(0);
  EXPECT_EQ(codes.status().code(), absl::StatusCode::kDataLoss) << codes.status();
}

TEST(CollectionStoreTest, TruncatedSstFilesAreReportedNotCrashedOn) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  const std::vector<std::string> ssts = CompactedStore(path);
  ASSERT_FALSE(ssts.empty());
  for (const std::string& file : ssts) {
    std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  }
  absl::Status s = ReadAll(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
}

TEST(CollectionStoreTest, GarbledCurrentFileIsReported) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  CompactedStore(path);
  std::ofstream(path + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  absl::Status s = ReadAll(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
}

}  // namespace
}  // namespace lateral

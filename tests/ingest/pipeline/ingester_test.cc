// The ingest pipeline against a real store: what lands for each file, what a
// second run re-reads, interruption, and per-file failures.
#include "ingest/pipeline/ingester.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "encoder/colbert/colbert_encoder.h"
#include "index/lexical/analyzer.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "storage/rocksdb_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/test_util.h"

namespace lateral::ingest {
namespace {

namespace fs = std::filesystem;

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Analyzer>> analyzer = Analyzer::Create(AnalyzerOptions());
    ASSERT_TRUE(analyzer.ok()) << analyzer.status();
    analyzer_ = std::move(*analyzer);
    absl::StatusOr<std::unique_ptr<CollectionStore>> store =
        CollectionStore::Open(dir_.Sub("store"), Manifest{});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    options_.analyzer = analyzer_.get();
    options_.chunk_tokens = 32;
    options_.overlap_tokens = 4;
    options_.settings_fingerprint = "test-v1";
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub("tree/" + name);
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Every stored passage id, and a check that each source's ids are stored.
  std::set<std::string> StoredIdsCheckingSources() {
    std::unique_ptr<StoreSnapshot> snapshot = store_->Snapshot();
    std::set<std::string> ids;
    EXPECT_TRUE(snapshot->ForEachDocument([&](uint32_t, const DocumentRecord& r) {
                          ids.insert(r.external_id);
                          return absl::OkStatus();
                        }).ok());
    std::set<std::string> from_sources;
    EXPECT_TRUE(snapshot->ForEachSource([&](const SourceRecord& s) {
                          for (const std::string& id : s.document_ids) from_sources.insert(id);
                          return absl::OkStatus();
                        }).ok());
    EXPECT_EQ(ids, from_sources);
    return ids;
  }

  lateral::testing::ScratchDir dir_;
  std::unique_ptr<Analyzer> analyzer_;
  std::unique_ptr<CollectionStore> store_;
  IngestOptions options_;
};

std::string LongText(int sentences, const std::string& word) {
  std::string text;
  for (int i = 0; i < sentences; ++i) absl::StrAppend(&text, "The ", word, " number ", i, " is here today.\n");
  return text;
}

TEST_F(IngesterTest, IngestsUpdatesAndRemovesByContent) {
  Write("a.txt", LongText(30, "alpha"));
  Write("sub/b.md", "# Beta\n\nbeta text\n");
  Write("sub/c.txt", "gamma text\n");
  absl::StatusOr<IngestReport> r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added, 3);
  EXPECT_GT(r->passages_written, 3);  // a.txt is several 32-token passages
  std::set<std::string> first = StoredIdsCheckingSources();
  EXPECT_EQ(static_cast<int64_t>(first.size()), r->passages_written);
  absl::StatusOr<LexicalStats> stats = store_->Snapshot()->GetLexicalStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->num_documents, r->passages_written);

  // Nothing changed: nothing re-read. A touch (same bytes) is still unchanged.
  fs::last_write_time(dir_.Sub("tree/sub/c.txt"), fs::file_time_type::clock::now());
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->unchanged, 3);
  EXPECT_EQ(r->passages_written, 0);

  // Shrink a.txt, delete c.txt: a's surplus passages and c go.
  Write("a.txt", LongText(3, "alpha"));
  fs::remove(dir_.Sub("tree/sub/c.txt"));
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->updated, 1);
  EXPECT_EQ(r->removed, 1);
  std::set<std::string> after = StoredIdsCheckingSources();
  EXPECT_EQ(after.size(), 2u);  // a.txt#0, b.md#0
  stats = store_->Snapshot()->GetLexicalStats();
  EXPECT_EQ(stats->num_documents, 2);

  // Other settings re-ingest unchanged bytes.
  options_.settings_fingerprint = "test-v2";
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->updated, 2);
}

TEST_F(IngesterTest, AStopRequestLeavesWholeFilesAndTheNextRunFinishes) {
  for (int i = 0; i < 40; ++i) Write(absl::StrCat("f", i, ".txt"), LongText(5, absl::StrCat("w", i)));
  int polls = 0;
  options_.should_stop = [&] { return ++polls > 10; };
  absl::StatusOr<IngestReport> r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->cancelled);
  EXPECT_LT(r->added, 40);
  StoredIdsCheckingSources();
  options_.should_stop = nullptr;
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->added + r->unchanged, 40);
  StoredIdsCheckingSources();
  absl::StatusOr<int64_t> sources = store_->Snapshot()->NumSources();
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(*sources, 40);
}

TEST_F(IngesterTest, AFailingFileKeepsItsOldStateAndTheOthersLand) {
  std::string jsonl = Write("r.jsonl", "{\"id\": \"x\", \"text\": \"first version\"}\n");
  Write("ok.txt", "fine\n");
  absl::StatusOr<IngestReport> r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->added, 2);
  Write("r.jsonl", "{\"id\": \"x\", \"text\": \"second\"}\n{not json\n");
  Write("ok.txt", "fine again\n");
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].path, jsonl);
  EXPECT_NE(r->failed[0].message.find(":2"), std::string::npos) << r->failed[0].message;
  EXPECT_EQ(r->updated, 1);
  // The old record of r.jsonl is still there, whole.
  std::unique_ptr<StoreSnapshot> snapshot = store_->Snapshot();
  absl::StatusOr<std::optional<uint32_t>> id = snapshot->LookupExternalId(jsonl + "#x#0");
  ASSERT_TRUE(id.ok() && id->has_value());
  absl::StatusOr<std::optional<DocumentRecord>> record = snapshot->GetDocument(**id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->text, "first version");
}


std::string Records(const std::string& prefix, int count) {
  std::string jsonl;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&jsonl, "{\"id\": \"", prefix, i, "\", \"text\": \"record ", prefix, i, " says hello\"}\n");
  }
  return jsonl;
}

// Appends to write-ahead-log files fail with NoSpace once `appends_left`
// reaches zero (each committed write appends once; -1: never fail).
class FillingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FillingFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : rocksdb::FileSystemWrapper(target) {}
  const char* Name() const override { return "FillingFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && absl::EndsWith(name, ".log")) *result = std::make_unique<File>(std::move(*result), &appends_left);
    return s;
  }
  std::atomic<int> appends_left{-1};

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& file, std::atomic<int>* left)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), left_(left) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (Full()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (Full()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return target()->Append(data, options, info, dbg);
    }

   private:
    bool Full() {
      int left = left_->load();
      while (left > 0 && !left_->compare_exchange_weak(left, left - 1)) {
      }
      return left == 0;
    }
    std::atomic<int>* left_;
  };
};

TEST_F(IngesterTest, AFileLargerThanOneWriteIsSplitAndAFailureBetweenItsWritesLeavesNoOrphans) {
  options_.passages_per_write = 8;
  const std::string path = Write("big.jsonl", Records("a", 50));
  Write("small.txt", "small file\n");
  // Its own store, on a file system that can fill up.
  store_.reset();
  auto fs = std::make_shared<FillingFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  absl::Cleanup close_before_env = [&] { store_.reset(); };
  const std::string store_path = dir_.Sub("filling-store");
  auto open = [&] {
    store_.reset();
    absl::StatusOr<std::unique_ptr<CollectionStore>> store =
        storage::OpenRocksDbStore(store_path, Manifest{}, StoreOptions(), env.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  };
  open();
  absl::StatusOr<IngestReport> r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added, 2);
  EXPECT_EQ(r->passages_written, 51);
  EXPECT_EQ(StoredIdsCheckingSources().size(), 51u);

  // A new version with other ids; the disk fills after two of its writes.
  Write("big.jsonl", Records("b", 40));
  fs->appends_left = 2;
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_FALSE(r.ok()) << "the third write should have failed";
  EXPECT_TRUE(absl::StrContains(r.status().message(), "space")) << r.status();
  fs->appends_left = -1;
  open();
  // The store holds the old version and the first slices of the new one,
  // all listed by the (provisional) source record.
  std::set<std::string> partial = StoredIdsCheckingSources();
  EXPECT_GT(partial.size(), 51u);
  EXPECT_LT(partial.size(), 51u + 40u);
  absl::StatusOr<std::optional<SourceRecord>> source = store_->Snapshot()->GetSource(path);
  ASSERT_TRUE(source.ok() && source->has_value());
  EXPECT_EQ((*source)->content_sha256, "") << "a provisional record must not match the file";

  // A third version, fewer records again: nothing of the second stays.
  Write("big.jsonl", Records("c", 20));
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  std::set<std::string> ids = StoredIdsCheckingSources();
  std::set<std::string> expected;
  for (int i = 0; i < 20; ++i) expected.insert(absl::StrCat(path, "#c", i, "#0"));
  for (const std::string& id : ids) {
    if (absl::StartsWith(id, path)) EXPECT_TRUE(expected.contains(id)) << id;
  }
  EXPECT_EQ(ids.size(), 21u);
  absl::StatusOr<LexicalStats> stats = store_->Snapshot()->GetLexicalStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->num_documents, 21);
  // And unchanged on the next run.
  r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->unchanged, 2);
}


// A file that alone brings the codec's sample trains the codec from its own
// first vectors (instead of holding every float vector until it is done), and
// small files buffered before it are written with that codec.
TEST_F(IngesterTest, ALargeFileTrainsTheCodecFromItsFirstVectors) {
  absl::StatusOr<std::unique_ptr<ColbertEncoder>> encoder = ColbertEncoder::Load(lateral::testing::TestDataPath("colbert-tiny"));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  store_.reset();
  absl::StatusOr<std::unique_ptr<CollectionStore>> store = CollectionStore::Open(
      dir_.Sub("dense-store"), Manifest{.encoder_identity = (*encoder)->Identity(), .dim = (*encoder)->dim(), .nbits = 2});
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  options_.encoder = encoder->get();
  options_.codec_sample_tokens = 2000;  // a few hundred passages' worth
  Write("a-small.txt", "a small file about gardens\n");
  Write("b-big.jsonl", Records("r", 3000));  // ~3000 passages, 47 batches
  Write("c-small.txt", "another small file about rivers\n");
  absl::StatusOr<IngestReport> r = Ingest(*store_, {dir_.Sub("tree")}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->added, 3);
  EXPECT_GT(r->codec_centroids, 0);
  std::unique_ptr<StoreSnapshot> snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot->GetCodec()->has_value());
  EXPECT_EQ(StoredIdsCheckingSources().size(), 3002u);
  // Every passage has codes, whichever path compressed it.
  int64_t with_codes = 0;
  ASSERT_TRUE(snapshot->ForEachCodes([&](uint32_t, const DocumentCodes& codes) {
                        if (!codes.centroid_ids.empty()) ++with_codes;
                        return absl::OkStatus();
                      }).ok());
  EXPECT_EQ(with_codes, 3002);
  EXPECT_EQ(r->encoded_tokens, [&] {
    int64_t tokens = 0;
    EXPECT_TRUE(snapshot->ForEachCodes([&](uint32_t, const DocumentCodes& codes) {
                          tokens += static_cast<int64_t>(codes.centroid_ids.size());
                          return absl::OkStatus();
                        }).ok());
    return tokens;
  }());
}

}  // namespace
}  // namespace lateral::ingest

// The ingest pipeline against a real store: what lands for each file, what a
// second run re-reads, interruption, and per-file failures.
#include "ingest/pipeline/ingester.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "index/lexical/analyzer.h"
#include "tests/storage/store_test_util.h"

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

}  // namespace
}  // namespace lateral::ingest

// CollectionStore::Apply: one atomic write of documents, deletes, sources and
// settings; replaced ids; source records through the API.
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestManifest;
using ::testing::HasSubstr;

std::unique_ptr<CollectionStore> NewStore(const std::string& path) {
  auto store = CollectionStore::Open(path, TestManifest());
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  EXPECT_TRUE((*store)->PutCodec(TestCodec()).ok());
  return std::move(*store);
}

SourceRecord Source(const std::string& path, const std::string& sha, std::vector<std::string> ids) {
  SourceRecord s;
  s.path = path;
  s.content_sha256 = sha;
  s.size = 1234567890123ull;
  s.mtime_ns = -17;  // before the epoch: signed values survive
  s.format = "markdown";
  s.settings_fingerprint = "chunk=512;analyzer=v1";
  s.document_ids = std::move(ids);
  s.indexed_at_unix = 1795000000;
  return s;
}

// Everything the API shows of a store, as one comparable string.
std::string Fingerprint(const StoreSnapshot& snapshot) {
  std::string out = absl::StrCat("n=", snapshot.NumDocuments(), " sources=", snapshot.NumSources().value_or(-1));
  (void)snapshot.ForEachDocument([&](uint32_t id, const DocumentRecord& r) {
    absl::StrAppend(&out, "|", id, ":", r.external_id, ":", r.text);
    return absl::OkStatus();
  });
  for (int c = 0; c < testing::kTestCentroids; ++c) {
    const std::vector<uint32_t> postings = snapshot.GetPostings(c).value();
    for (uint32_t id : postings) absl::StrAppend(&out, "|p", c, ":", id);
  }
  for (int t = 0; t < testing::kTestVocabulary; ++t) {
    const std::vector<LexicalPosting> postings = snapshot.GetLexicalPostings(testing::TestTerm(t)).value();
    for (const LexicalPosting& p : postings) {
      absl::StrAppend(&out, "|l", t, ":", p.doc_id, ",", p.term_frequency);
    }
  }
  auto stats = snapshot.GetLexicalStats().value();
  absl::StrAppend(&out, "|stats ", stats.num_documents, " ", stats.total_length);
  (void)snapshot.ForEachSource([&](const SourceRecord& s) {
    absl::StrAppend(&out, "|s", s.path, ":", s.content_sha256, ":", s.document_ids.size());
    return absl::OkStatus();
  });
  (void)snapshot.ForEachSetting([&](std::string_view k, std::string_view v) {
    absl::StrAppend(&out, "|k", std::string(k), "=", std::string(v));
    return absl::OkStatus();
  });
  return out;
}

TEST(ApplyTest, AFailingWriteChangesNothing) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  CollectionWrite first;
  first.upserts = {TestDocument("a", 1), TestDocument("b", 2), TestDocument("c", 3)};
  first.put_sources = {Source("notes/x.md", "h1", {"a", "b"})};
  first.put_settings = {{"analyzer", "v1"}};
  ASSERT_TRUE(store->Apply(first).ok());
  const std::string before = Fingerprint(*store->Snapshot());

  // Each write below is valid but for one thing, which must fail it whole.
  auto valid = [] {
    CollectionWrite w;
    w.upserts = {TestDocument("a", 10), TestDocument("d", 11)};
    w.deletes = {"b"};
    w.put_sources = {Source("notes/y.md", "h2", {"d"})};
    w.delete_sources = {"notes/x.md"};
    w.put_settings = {{"analyzer", "v2"}};
    return w;
  };
  struct Case {
    const char* name;
    std::function<void(CollectionWrite*)> spoil;
    absl::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown delete", [](CollectionWrite* w) { w->deletes.push_back("nope"); }, absl::StatusCode::kNotFound,
       "\"nope\""},
      {"bad document", [](CollectionWrite* w) { w->upserts[1].codes.centroid_ids.clear(); },
       absl::StatusCode::kInvalidArgument, "document \"d\""},
      {"bad term", [](CollectionWrite* w) { w->upserts[1].lexical.length += 1; }, absl::StatusCode::kInvalidArgument,
       "not the sum"},
      {"empty source path", [](CollectionWrite* w) { w->put_sources.push_back(Source("", "h", {})); },
       absl::StatusCode::kInvalidArgument, "empty path"},
      {"long source path", [](CollectionWrite* w) { w->put_sources.push_back(Source(std::string(4097, 'p'), "h", {})); },
       absl::StatusCode::kInvalidArgument, "4097 bytes"},
      {"source twice", [](CollectionWrite* w) { w->put_sources.push_back(Source("notes/y.md", "h3", {})); },
       absl::StatusCode::kInvalidArgument, "put twice"},
      {"bad setting", [](CollectionWrite* w) { w->put_settings.push_back({"", "x"}); },
       absl::StatusCode::kInvalidArgument, "setting key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CollectionWrite w = valid();
    c.spoil(&w);
    auto result = store->Apply(w);
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.message));
    EXPECT_EQ(Fingerprint(*store->Snapshot()), before);
  }
  // The valid write itself goes through.
  auto ids = store->Apply(valid());
  ASSERT_TRUE(ids.ok()) << ids.status();
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 3);  // a (replaced), c, d
  EXPECT_FALSE(snapshot->LookupExternalId("b").value().has_value());
  EXPECT_FALSE(snapshot->GetSource("notes/x.md").value().has_value());
  EXPECT_EQ(snapshot->GetSource("notes/y.md").value()->content_sha256, "h2");
  EXPECT_EQ(snapshot->GetSetting("analyzer").value(), "v2");
  EXPECT_EQ(snapshot->NumSources().value(), 1);
  EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
}

TEST(ApplyTest, DeletedAndUpsertedIsReplaced) {
  ScratchDir dir;
  auto store = NewStore(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  auto first = store->Upsert({TestDocument("a", 1), TestDocument("b", 2)});
  ASSERT_TRUE(first.ok());
  CollectionWrite w;
  w.deletes = {"a", "b", "a"};  // twice: deleted once
  w.upserts = {TestDocument("c", 3), TestDocument("a", 4)};
  auto ids = store->Apply(w);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  // Fresh ids, in the order of the upserts, past every earlier id.
  EXPECT_LT((*ids)[0], (*ids)[1]);
  EXPECT_GT((*ids)[0], std::max((*first)[0], (*first)[1]));
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 2);
  EXPECT_EQ(snapshot->LookupExternalId("a").value(), (*ids)[1]);
  EXPECT_EQ(snapshot->LookupExternalId("c").value(), (*ids)[0]);
  EXPECT_FALSE(snapshot->LookupExternalId("b").value().has_value());
  EXPECT_FALSE(snapshot->GetDocument((*first)[0]).value().has_value());
  EXPECT_THAT(snapshot->GetDocument((*ids)[1]).value()->text, HasSubstr("seed 4"));
  EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
  // An empty write writes nothing and succeeds.
  EXPECT_TRUE(store->Apply(CollectionWrite()).value().empty());
}

TEST(ApplyTest, SourcesRoundTrip) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  std::map<std::string, SourceRecord> model;
  {
    auto store = NewStore(path);
    ASSERT_NE(store, nullptr);
    CollectionWrite w;
    w.upserts = {TestDocument("x.md#0", 1), TestDocument("x.md#1", 2)};
    w.put_sources = {Source("x.md", "h1", {"x.md#0", "x.md#1"}), Source("docs/é/ü.txt", "h2", {}),
                     Source("a/b", "h3", {"a"}), Source(std::string(4096, 'z'), "h4", {})};
    ASSERT_TRUE(store->Apply(w).ok());
    for (const SourceRecord& s : w.put_sources) model[s.path] = s;
    auto snapshot = store->Snapshot();
    EXPECT_EQ(snapshot->NumSources().value(), 4);
    // Replacing keeps the count; deleting unknown paths is ignored; a path
    // both deleted and put keeps the put record.
    CollectionWrite update;
    update.put_sources = {Source("x.md", "h5", {"x.md#0"}), Source("a/b", "h6", {})};
    update.delete_sources = {"a/b", "docs/é/ü.txt", "never/was", "docs/é/ü.txt"};
    update.deletes = {"x.md#1"};
    ASSERT_TRUE(store->Apply(update).ok());
    model["x.md"] = update.put_sources[0];
    model["a/b"] = update.put_sources[1];
    model.erase("docs/é/ü.txt");
    // The earlier snapshot still sees the earlier sources.
    EXPECT_EQ(snapshot->GetSource("x.md").value()->content_sha256, "h1");
    EXPECT_EQ(snapshot->NumSources().value(), 4);
  }
  auto store = CollectionStore::Open(path, std::nullopt);
  ASSERT_TRUE(store.ok()) << store.status();
  auto snapshot = (*store)->Snapshot();
  EXPECT_EQ(snapshot->NumSources().value(), static_cast<int64_t>(model.size()));
  std::vector<SourceRecord> seen;
  LATERAL_ASSERT_OK(snapshot->ForEachSource([&](const SourceRecord& s) {
    seen.push_back(s);
    return absl::OkStatus();
  }));
  ASSERT_EQ(seen.size(), model.size());
  size_t i = 0;
  for (const auto& [p, record] : model) {  // std::map: bytewise path order
    EXPECT_EQ(seen[i], record) << p;
    auto got = snapshot->GetSource(p);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, record);
    ++i;
  }
  EXPECT_FALSE(snapshot->GetSource("docs/é/ü.txt").value().has_value());
  EXPECT_FALSE(snapshot->GetSource("").value().has_value());
  // An error in fn stops the scan and comes back.
  int calls = 0;
  const absl::Status stopped = snapshot->ForEachSource([&](const SourceRecord&) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace lateral

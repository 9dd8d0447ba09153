// The lexical side of a store through its API: postings and statistics
// against a model after random writes, validation, damaged values, and the
// rules of lexical-only stores and settings.
#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/key_format.h"
#include "storage/lexical_segment.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_store.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using ::lateral::testing::CheckLexicalInvariants;
using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::ExpectedPostings;
using ::lateral::testing::LexicalOnlyManifest;
using ::lateral::testing::RawDb;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestLexicalDocument;
using ::lateral::testing::TestManifest;
using ::lateral::testing::TestTerm;
using ::lateral::testing::TestTerms;
using ::testing::HasSubstr;

std::unique_ptr<CollectionStore> MustOpen(const std::string& path, const std::optional<Manifest>& create,
                                          const StoreOptions& options = StoreOptions()) {
  auto store = CollectionStore::Open(path, create, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

// Everything the lexical API shows, as one comparable string.
std::string LexicalFingerprint(const StoreSnapshot& snapshot) {
  std::string out = absl::StrCat("docs ", snapshot.NumDocuments());
  for (int i = 0; i < testing::kTestVocabulary; ++i) {
    auto postings = snapshot.GetLexicalPostings(TestTerm(i));
    if (!postings.ok()) return postings.status().ToString();
    absl::StrAppend(&out, "|", TestTerm(i), ":");
    for (const LexicalPosting& p : *postings) absl::StrAppend(&out, p.doc_id, ",", p.term_frequency, ",", p.doc_length, ";");
  }
  auto stats = snapshot.GetLexicalStats();
  if (!stats.ok()) return stats.status().ToString();
  absl::StrAppend(&out, "|stats ", stats->num_documents, " ", stats->total_length);
  return out;
}

// For both kinds of store: random upserts (new and replacing), deletes and
// combined Applies, with flushes (tiny memtables), compactions, a reopen,
// and ids crossing a block boundary. After each step the postings of every
// term and the statistics equal those of a model of what was written.
class LexicalModelTest : public ::testing::TestWithParam<bool> {};

TEST_P(LexicalModelTest, PostingsAndStatsFollowAModel) {
  const bool lexical_only = GetParam();
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  const Manifest manifest = lexical_only ? LexicalOnlyManifest() : TestManifest();
  StoreOptions options;
  options.write_buffer_bytes = 32 << 10;
  {
    auto store = MustOpen(path, manifest, options);
    ASSERT_NE(store, nullptr);
    if (!lexical_only) LATERAL_ASSERT_OK(store->PutCodec(TestCodec()));
  }
  {
    // Start just below a block boundary, so postings span two segments.
    RawDb raw(path);
    raw.Put(storage::kCountersFamily, storage::kNextDocIdKey, storage::EncodeCounter(65536 - 40));
  }
  auto store = MustOpen(path, manifest, options);
  ASSERT_NE(store, nullptr);
  auto make = [&](const std::string& id, uint32_t seed) {
    return lexical_only ? TestLexicalDocument(id, seed) : TestDocument(id, seed, 1 + seed % 5);
  };
  std::map<std::string, std::pair<uint32_t, LexicalTerms>> model;  // external id -> (doc id, terms)
  std::mt19937 rng(GetParam() ? 5 : 6);
  for (int step = 0; step < 160; ++step) {
    CollectionWrite write;
    const int kind = rng() % 4;
    if (kind != 0 && !model.empty()) {
      for (int i = 0; i < 1 + static_cast<int>(rng() % 3); ++i) {
        auto it = model.begin();
        std::advance(it, rng() % model.size());
        if (std::find(write.deletes.begin(), write.deletes.end(), it->first) == write.deletes.end())
          write.deletes.push_back(it->first);
      }
    }
    if (kind != 1) {
      std::set<std::string> ids;
      for (int i = 0; i < 1 + static_cast<int>(rng() % 6); ++i) {
        const std::string id = absl::StrCat("d", rng() % 50);
        if (ids.insert(id).second) write.upserts.push_back(make(id, step * 16 + i));
      }
    }
    absl::StatusOr<std::vector<uint32_t>> ids;
    if (write.deletes.empty()) {
      ids = store->Upsert(write.upserts);
    } else if (write.upserts.empty()) {
      LATERAL_ASSERT_OK(store->Delete(write.deletes));
      ids = std::vector<uint32_t>();
    } else {
      ids = store->Apply(write);
    }
    ASSERT_TRUE(ids.ok()) << ids.status();
    ASSERT_EQ(ids->size(), write.upserts.size());
    for (const std::string& id : write.deletes) model.erase(id);
    for (size_t i = 0; i < write.upserts.size(); ++i) {
      model[write.upserts[i].record.external_id] = {(*ids)[i], write.upserts[i].lexical};
    }
    if (step % 40 == 39) LATERAL_ASSERT_OK(store->Compact());
    if (step == 100) {
      store.reset();
      store = MustOpen(path, manifest, options);
      ASSERT_NE(store, nullptr);
    }
    // The model's view.
    std::map<uint32_t, LexicalTerms> terms_of;
    LexicalStats stats;
    for (const auto& [id, entry] : model) {
      if (entry.second.term_frequencies.empty()) continue;
      terms_of[entry.first] = entry.second;
      ++stats.num_documents;
      stats.total_length += entry.second.length;
    }
    const auto expected = ExpectedPostings(terms_of);
    auto snapshot = store->Snapshot();
    for (int t = 0; t < testing::kTestVocabulary; ++t) {
      auto postings = snapshot->GetLexicalPostings(TestTerm(t));
      ASSERT_TRUE(postings.ok()) << postings.status();
      auto it = expected.find(TestTerm(t));
      const size_t want = it == expected.end() ? 0 : it->second.size();
      ASSERT_EQ(postings->size(), want) << "step " << step << ", term " << TestTerm(t);
      for (size_t i = 0; i < want; ++i) {
        EXPECT_EQ((*postings)[i].doc_id, it->second[i].doc_id);
        EXPECT_EQ((*postings)[i].term_frequency, it->second[i].term_frequency);
        EXPECT_EQ((*postings)[i].doc_length, it->second[i].doc_length);
      }
    }
    auto got = snapshot->GetLexicalStats();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->num_documents, stats.num_documents) << "step " << step;
    EXPECT_EQ(got->total_length, stats.total_length) << "step " << step;
    if (lexical_only) {
      EXPECT_TRUE(CheckLexicalInvariants(*snapshot));
    } else {
      EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
    }
    if (::testing::Test::HasFailure()) return;
  }
  // Terms absent from every document, or not terms at all, have no postings.
  auto snapshot = store->Snapshot();
  for (const std::string& term : {std::string("absent"), std::string("w1\0", 3), std::string(), std::string("w")}) {
    auto postings = snapshot->GetLexicalPostings(term);
    ASSERT_TRUE(postings.ok()) << postings.status();
    EXPECT_TRUE(postings->empty()) << term;
  }
  snapshot.reset();
  // Deleting everything and compacting leaves no lexical segment behind.
  std::vector<std::string> all;
  for (const auto& [id, entry] : model) all.push_back(id);
  LATERAL_ASSERT_OK(store->Delete(all));
  LATERAL_ASSERT_OK(store->Compact());
  auto stats = store->Snapshot()->GetLexicalStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->num_documents, 0);
  EXPECT_EQ(stats->total_length, 0);
  store.reset();
  RawDb raw(path);
  EXPECT_TRUE(raw.Scan(storage::kLexicalPostingsFamily).empty());
  EXPECT_TRUE(raw.Scan(storage::kDocTermsFamily).empty());
}

INSTANTIATE_TEST_SUITE_P(BothKinds, LexicalModelTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "LexicalOnly" : "WithEncoder"; });

TEST(LexicalStoreTest, InvalidTermsAreRejectedAndWriteNothing) {
  ScratchDir dir;
  auto store = MustOpen(dir.Sub("store"), LexicalOnlyManifest());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Upsert({TestLexicalDocument("a", 1), TestLexicalDocument("b", 2)}).ok());
  const std::string before = LexicalFingerprint(*store->Snapshot());
  struct Case {
    const char* name;
    std::vector<std::pair<std::string, uint32_t>> terms;
    uint32_t length;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty term", {{"", 1}}, 1, "is empty"},
      {"NUL byte", {{std::string("a\0b", 3), 1}}, 1, "NUL"},
      {"256 bytes", {{std::string(256, 'x'), 1}}, 1, "256 bytes long"},
      {"duplicate", {{"w1", 1}, {"w2", 1}, {"w1", 2}}, 4, "appears twice"},
      {"frequency 0", {{"w1", 0}, {"w2", 1}}, 1, "frequency 0"},
      {"length short", {{"w1", 2}, {"w2", 1}}, 2, "not the sum"},
      {"length long", {{"w1", 2}}, 3, "not the sum"},
      {"length without terms", {}, 1, "not the sum"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // A valid document first (it would replace "a"), then the bad one.
    std::vector<DocumentWrite> docs = {TestLexicalDocument("a", 7), TestLexicalDocument("c", 8)};
    docs[1].lexical.term_frequencies = c.terms;
    docs[1].lexical.length = c.length;
    auto written = store->Upsert(docs);
    ASSERT_EQ(written.status().code(), absl::StatusCode::kInvalidArgument) << written.status();
    EXPECT_THAT(std::string(written.status().message()), HasSubstr("document \"c\""));
    EXPECT_THAT(std::string(written.status().message()), HasSubstr(c.message));
    EXPECT_EQ(LexicalFingerprint(*store->Snapshot()), before);
  }
  // 255 bytes is fine, and so is a document without terms (not counted).
  DocumentWrite longest = TestLexicalDocument("d", 9);
  longest.lexical.term_frequencies = {{std::string(255, 'y'), 2}};
  longest.lexical.length = 2;
  DocumentWrite none = TestLexicalDocument("e", 10);
  none.lexical = LexicalTerms();
  ASSERT_TRUE(store->Upsert({longest, none}).ok());
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->GetLexicalPostings(std::string(255, 'y')).value().size(), 1u);
  EXPECT_TRUE(CheckLexicalInvariants(*snapshot));
}

TEST(LexicalStoreTest, DamagedLexicalValuesAreDataLossNamingTheKey) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  // Documents that all hold w1 and w2.
  auto doc = [](const std::string& id) {
    DocumentWrite w = TestLexicalDocument(id, 1);
    w.lexical.term_frequencies = {{"w1", 1}, {"w2", 2}};
    w.lexical.length = 3;
    return w;
  };
  {
    auto store = MustOpen(path, LexicalOnlyManifest());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Upsert({doc("a"), doc("b"), doc("c")}).ok());
    LATERAL_ASSERT_OK(store->Compact());
  }
  {
    RawDb raw(path);
    // A garbled stored segment of w1, a malformed merge operand on w2, and a
    // malformed key within w3's range.
    raw.Put(storage::kLexicalPostingsFamily, storage::LexicalSegmentKey("w1", 0), std::string("\x01\x05\x00", 3));
    rocksdb::Status s = raw.db()->Merge(rocksdb::WriteOptions(), raw.family(storage::kLexicalPostingsFamily),
                                        storage::LexicalSegmentKey("w2", 0), "garbage");
    ASSERT_TRUE(s.ok()) << s.ToString();
    raw.Put(storage::kLexicalPostingsFamily, std::string("w3\0ab", 5), storage::EncodeLexicalSegment({}));
    raw.Put(storage::kDocTermsFamily, storage::DocIdKey(1), "\x01\x09");
  }
  auto store = MustOpen(path, std::nullopt);
  ASSERT_NE(store, nullptr);
  auto snapshot = store->Snapshot();
  auto w1 = snapshot->GetLexicalPostings("w1");
  EXPECT_EQ(w1.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(w1.status().message()), HasSubstr(path + ": lexical_postings[term \"w1\", block 0]"));
  auto w2 = snapshot->GetLexicalPostings("w2");
  EXPECT_EQ(w2.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(w2.status().message()), HasSubstr("lexical_postings[term \"w2\", block 0]"));
  EXPECT_THAT(std::string(w2.status().message()), HasSubstr("merging its updates failed"));
  auto w3 = snapshot->GetLexicalPostings("w3");
  EXPECT_EQ(w3.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(w3.status().message()), HasSubstr("corrupt key"));
  auto terms = snapshot->GetLexicalTerms(1);
  EXPECT_EQ(terms.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(terms.status().message()), HasSubstr(path + ": doc_terms[doc 1]"));
  // Other documents and terms still read; deleting the damaged document is
  // DataLoss and writes nothing.
  EXPECT_TRUE(snapshot->GetLexicalTerms(0).value().has_value());
  EXPECT_TRUE(snapshot->GetLexicalPostings("w4").ok());
  snapshot.reset();
  EXPECT_EQ(store->Delete({"b"}).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store->Snapshot()->NumDocuments(), 3);
  LATERAL_EXPECT_OK(store->Delete({"a"}));
  // Compaction keeps the failed merge failed rather than guessing.
  LATERAL_EXPECT_OK(store->Compact());
  EXPECT_EQ(store->Snapshot()->GetLexicalPostings("w2").status().code(), absl::StatusCode::kDataLoss);
}

TEST(LexicalStoreTest, LexicalOnlyStoreRules) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = MustOpen(path, LexicalOnlyManifest());
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->manifest().IsLexicalOnly());
    const absl::Status codec = store->PutCodec(TestCodec());
    EXPECT_EQ(codec.code(), absl::StatusCode::kFailedPrecondition) << codec;
    EXPECT_THAT(std::string(codec.message()), HasSubstr("lexical-only"));
    // Codes are refused (nothing written); documents without codes are fine.
    auto refused = store->Upsert({TestLexicalDocument("a", 1), TestDocument("b", 2)});
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("document \"b\""));
    DocumentWrite residual_only = TestLexicalDocument("c", 3);
    residual_only.codes.residual_codes = "xx";
    EXPECT_EQ(store->Upsert({residual_only}).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->Snapshot()->NumDocuments(), 0);
    auto ids = store->Upsert({TestLexicalDocument("a", 1), TestLexicalDocument("b", 2)});
    ASSERT_TRUE(ids.ok()) << ids.status();
    auto snapshot = store->Snapshot();
    EXPECT_FALSE(snapshot->GetCodes((*ids)[0]).value().has_value());
    EXPECT_FALSE(snapshot->GetCodec().value().has_value());
    EXPECT_EQ(snapshot->GetDocument((*ids)[1]).value()->external_id, "b");
    EXPECT_TRUE(CheckLexicalInvariants(*snapshot));
  }
  // Reopened as lexical-only, or without a manifest; an encoder is refused.
  EXPECT_NE(MustOpen(path, LexicalOnlyManifest()), nullptr);
  EXPECT_NE(MustOpen(path, std::nullopt), nullptr);
  auto with_encoder = CollectionStore::Open(path, TestManifest());
  EXPECT_EQ(with_encoder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(with_encoder.status().message()), HasSubstr("index built by encoder \"\""));
  // An encoder store still needs codes, lexical terms or not.
  auto encoder_store = MustOpen(dir.Sub("encoder"), TestManifest());
  ASSERT_NE(encoder_store, nullptr);
  LATERAL_ASSERT_OK(encoder_store->PutCodec(TestCodec()));
  EXPECT_EQ(encoder_store->Upsert({TestLexicalDocument("a", 1)}).status().code(), absl::StatusCode::kInvalidArgument);
  // Half a lexical-only manifest is no manifest at all.
  Manifest half;
  half.dim = 16;
  half.nbits = 2;
  EXPECT_EQ(CollectionStore::Open(dir.Sub("half"), half).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("half")));
}

TEST(LexicalStoreTest, SettingsRoundTripAndTravelWithTheData) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = MustOpen(path, LexicalOnlyManifest());
    ASSERT_NE(store, nullptr);
    LATERAL_ASSERT_OK(store->PutSetting("analyzer", "icu-snowball:en:v1"));
    LATERAL_ASSERT_OK(store->PutSetting("chunk_size", "512"));
    LATERAL_ASSERT_OK(store->PutSetting("chunk_size", "256"));  // replaced
    LATERAL_ASSERT_OK(store->PutSetting(std::string("bin\0ary", 7), std::string("v\0", 2)));
    EXPECT_EQ(store->PutSetting("", "x").code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->PutSetting(std::string(4097, 'k'), "x").code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->PutSetting("big", std::string((1 << 20) + 1, 'v')).code(), absl::StatusCode::kInvalidArgument);
    // A failing write writes none of its settings.
    CollectionWrite write;
    write.put_settings = {{"analyzer", "other"}};
    write.deletes = {"no such document"};
    EXPECT_EQ(store->Apply(write).status().code(), absl::StatusCode::kNotFound);
    write.deletes.clear();
    write.put_settings = {{"x", "1"}, {"x", "2"}};
    EXPECT_EQ(store->Apply(write).status().code(), absl::StatusCode::kInvalidArgument);
    // One that succeeds writes them with its documents.
    write.put_settings = {{"documents_added", "1"}};
    write.upserts = {TestLexicalDocument("a", 1)};
    ASSERT_TRUE(store->Apply(write).ok());
  }
  auto store = MustOpen(path, std::nullopt);
  ASSERT_NE(store, nullptr);
  auto snapshot = store->Snapshot();
  EXPECT_EQ(snapshot->GetSetting("analyzer").value(), "icu-snowball:en:v1");
  EXPECT_EQ(snapshot->GetSetting("chunk_size").value(), "256");
  EXPECT_EQ(snapshot->GetSetting(std::string("bin\0ary", 7)).value(), std::string("v\0", 2));
  EXPECT_EQ(snapshot->GetSetting("documents_added").value(), "1");
  EXPECT_FALSE(snapshot->GetSetting("absent").value().has_value());
  EXPECT_FALSE(snapshot->GetSetting("x").value().has_value());
  std::vector<std::pair<std::string, std::string>> all;
  LATERAL_ASSERT_OK(snapshot->ForEachSetting([&](std::string_view k, std::string_view v) {
    all.emplace_back(k, v);
    return absl::OkStatus();
  }));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"analyzer", "icu-snowball:en:v1"},
      {std::string("bin\0ary", 7), std::string("v\0", 2)},
      {"chunk_size", "256"},
      {"documents_added", "1"}};
  EXPECT_EQ(all, expected);
  // A snapshot keeps the settings it saw.
  LATERAL_ASSERT_OK(store->PutSetting("chunk_size", "128"));
  EXPECT_EQ(snapshot->GetSetting("chunk_size").value(), "256");
  EXPECT_EQ(store->Snapshot()->GetSetting("chunk_size").value(), "128");
}

}  // namespace
}  // namespace lateral

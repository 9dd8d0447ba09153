// PLAID search against the exhaustive oracle on synthetic ColBERT-shaped data.
#include "query/plaid_searcher.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "benchmarks/synthetic/synthetic_corpus.h"
#include "gtest/gtest.h"

namespace lateral {
namespace {

using testing::SyntheticCorpus;
using testing::SyntheticCorpusOptions;

constexpr int kDim = 128;

struct Built {
  SyntheticCorpus corpus;
  std::shared_ptr<const SearchableIndex> index;
  std::unique_ptr<PlaidSearcher> searcher;
};

SyntheticCorpusOptions CorpusOptions() {
  SyntheticCorpusOptions options;
  options.dim = kDim;
  options.topics = 512;
  return options;
}

// Encodes `n` synthetic documents with a codec trained on them (PLAID's
// centroid count). Document i gets internal id 10 + 3i, so ids and slots
// differ, and metadata "shard" = i % 100.
Built BuildIndex(int64_t n, int nbits) {
  SyntheticCorpus corpus(CorpusOptions());
  std::vector<float> all;
  std::vector<uint64_t> offsets = {0};
  std::vector<uint32_t> ids;
  std::vector<std::map<std::string, MetadataValue>> metadata;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> d = corpus.Document(i);
    all.insert(all.end(), d.begin(), d.end());
    offsets.push_back(all.size() / kDim);
    ids.push_back(static_cast<uint32_t>(10 + 3 * i));
    metadata.push_back({{"shard", static_cast<double>(i % 100)}});
  }
  const int64_t tokens = static_cast<int64_t>(offsets.back());
  CodecOptions codec_options;
  codec_options.nbits = nbits;
  auto codec = ResidualCodec::Train(all.data(), std::min<int64_t>(tokens, 200000), kDim, tokens, codec_options);
  EXPECT_TRUE(codec.ok()) << codec.status();
  std::vector<uint32_t> centroid_ids(tokens);
  std::vector<uint8_t> codes(tokens * codec->code_bytes());
  codec->Encode(all.data(), tokens, centroid_ids.data(), codes.data());
  auto index = SearchableIndex::FromParts(std::move(*codec), ids, offsets, centroid_ids, codes);
  EXPECT_TRUE(index.ok()) << index.status();
  (*index)->SetMetadata(MetadataColumns::Build(metadata));
  std::shared_ptr<const SearchableIndex> shared = std::move(*index);
  return {corpus, shared, std::make_unique<PlaidSearcher>(shared)};
}

const Built& SharedIndex() {
  static const Built* built = new Built(BuildIndex(4000, 2));
  return *built;
}

double RecallAt(const std::vector<SearchHit>& got, const std::vector<SearchHit>& truth, size_t k) {
  std::set<uint32_t> want;
  for (size_t i = 0; i < std::min(k, truth.size()); ++i) want.insert(truth[i].doc_id);
  size_t found = 0;
  for (size_t i = 0; i < std::min(k, got.size()); ++i) found += want.count(got[i].doc_id);
  return want.empty() ? 1.0 : static_cast<double>(found) / want.size();
}

// Defaults, and the same with the centroid-interaction stages forced on
// (exact_budget 0; by default a small index may be scored exactly).
TEST(PlaidSearcherTest, MatchesExhaustiveSearchWithDefaults) {
  const Built& b = SharedIndex();
  const int64_t n = b.index->num_documents();
  for (int64_t budget : {SearchOptions().exact_budget, int64_t{0}}) {
    for (int k : {10, 100}) {
      double recall = 0;
      int target_first = 0;
      int64_t exact_scored = 0, candidates = 0;
      const int queries = 40;
      for (int q = 0; q < queries; ++q) {
        const int64_t target = (q * 73) % n;
        std::vector<float> qv = b.corpus.QueryNear(target, q);
        TokenMatrix query{qv.data(), 32, kDim};
        SearchOptions options;
        options.k = k;
        options.exact_budget = budget;
        SearchProfile profile;
        auto fast = b.searcher->Search(query, options, &profile);
        auto truth = b.searcher->Exhaustive(query, options);
        ASSERT_TRUE(fast.ok() && truth.ok());
        ASSERT_EQ(fast->size(), static_cast<size_t>(k));
        recall += RecallAt(*fast, *truth, k);
        target_first += (*fast)[0].doc_id == static_cast<uint32_t>(10 + 3 * target);
        exact_scored += profile.exact_scored;
        candidates += profile.candidates;
        // Survivors are scored exactly: the best hit carries the true best score.
        EXPECT_NEAR((*fast)[0].score, (*truth)[0].score, 1e-3);
      }
      EXPECT_GE(recall / queries, 0.99) << "k=" << k << " budget=" << budget;
      EXPECT_GE(target_first, queries * 9 / 10) << "the document a query was drawn from should rank first";
      if (budget == 0) EXPECT_LT(exact_scored, candidates) << "the approximation stages must have run";
    }
  }
}

TEST(PlaidSearcherTest, BatchEqualsOneByOne) {
  const Built& b = SharedIndex();
  std::vector<std::vector<float>> storage;
  std::vector<TokenMatrix> queries;
  for (int q = 0; q < 8; ++q) storage.push_back(b.corpus.QueryNear(q * 11, q));
  for (const auto& v : storage) queries.push_back({v.data(), 32, kDim});
  std::vector<SearchProfile> profiles;
  auto batch = b.searcher->SearchBatch(queries, SearchOptions(), &profiles);
  ASSERT_EQ(batch.size(), queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    auto one = b.searcher->Search(queries[q], SearchOptions());
    ASSERT_TRUE(batch[q].ok() && one.ok());
    ASSERT_EQ(batch[q]->size(), one->size());
    for (size_t i = 0; i < one->size(); ++i) {
      EXPECT_EQ((*batch[q])[i].doc_id, (*one)[i].doc_id);
      EXPECT_EQ((*batch[q])[i].score, (*one)[i].score);
    }
    EXPECT_GT(profiles[q].candidates, 0);
    EXPECT_GT(profiles[q].exact_scored, 0);
  }
}

TEST(PlaidSearcherTest, ExhaustiveScoresEqualNaiveMaxSim) {
  const Built& b = SharedIndex();
  std::vector<float> qv = b.corpus.QueryNear(5, 1);
  TokenMatrix query{qv.data(), 32, kDim};
  SearchOptions options;
  options.k = 300;
  auto hits = b.searcher->Exhaustive(query, options);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 300u);
  std::vector<float> doc;
  for (const SearchHit& h : *hits) {
    const int64_t slot = b.index->SlotOf(h.doc_id);
    ASSERT_GE(slot, 0);
    ASSERT_TRUE(b.index->DecodeDocument(slot, doc).ok());
    EXPECT_NEAR(h.score, NaiveMaxSim(query, {doc.data(), static_cast<int64_t>(doc.size() / kDim), kDim}), 1e-3);
  }
  EXPECT_TRUE(std::is_sorted(hits->begin(), hits->end(), [](auto& a, auto& c) { return a.score > c.score; }));
}

// A filter matching 1% of documents must still give the true filtered top-k.
TEST(PlaidSearcherTest, SelectiveMetadataFilterFindsTheFilteredTopK) {
  const Built& b = SharedIndex();
  auto parsed = ParseMetadataFilter("shard = 7");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const MetadataFilter filter = *parsed;
  double recall = 0;
  const int queries = 20;
  for (int q = 0; q < queries; ++q) {
    std::vector<float> qv = b.corpus.QueryNear(q * 97 % 4000, q);
    TokenMatrix query{qv.data(), 32, kDim};
    SearchOptions options;
    options.filter = &filter;
    SearchProfile profile;
    auto fast = b.searcher->Search(query, options, &profile);
    auto truth = b.searcher->Exhaustive(query, options);
    ASSERT_TRUE(fast.ok() && truth.ok()) << fast.status() << truth.status();
    EXPECT_EQ(profile.allowed, 40);
    ASSERT_EQ(fast->size(), 10u);
    for (const SearchHit& h : *fast) EXPECT_EQ((h.doc_id - 10) / 3 % 100, 7u) << h.doc_id;
    recall += RecallAt(*fast, *truth, 10);
  }
  EXPECT_GE(recall / queries, 0.99);
}

// A broad filter (30%) is above the scan limit: the probe widens instead.
TEST(PlaidSearcherTest, BroadFilterWidensTheProbe) {
  const Built& b = SharedIndex();
  std::vector<uint8_t> allowed(b.index->num_documents(), 0);
  for (size_t s = 0; s < allowed.size(); ++s) allowed[s] = s % 10 < 3;
  double recall = 0;
  const int queries = 20;
  for (int q = 0; q < queries; ++q) {
    std::vector<float> qv = b.corpus.QueryNear((q * 37) % 4000, q);
    TokenMatrix query{qv.data(), 32, kDim};
    SearchOptions options;
    options.allowed_slots = &allowed;
    options.filter_scan_limit = 100;
    SearchProfile profile;
    auto fast = b.searcher->Search(query, options, &profile);
    auto truth = b.searcher->Exhaustive(query, options);
    ASSERT_TRUE(fast.ok() && truth.ok());
    EXPECT_GE(profile.candidates, ResolveSearchOptions(options).ndocs);
    for (const SearchHit& h : *fast) EXPECT_TRUE(allowed[b.index->SlotOf(h.doc_id)]);
    recall += RecallAt(*fast, *truth, 10);
  }
  EXPECT_GE(recall / queries, 0.99);
}

TEST(PlaidSearcherTest, RejectsBadQueriesAndOptions) {
  const Built& b = SharedIndex();
  std::vector<float> wrong(32 * 32, 0.1f);
  auto r = b.searcher->Search({wrong.data(), 32, 32}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("dimension 32"), std::string::npos) << r.status();
  std::vector<float> nan(32 * kDim, 0.1f);
  nan[5 * kDim + 3] = std::nanf("");
  r = b.searcher->Search({nan.data(), 32, kDim}, {});
  EXPECT_NE(r.status().message().find("query vector 5"), std::string::npos) << r.status();
  EXPECT_FALSE(b.searcher->Exhaustive({nan.data(), 0, kDim}, {}).ok());
  SearchOptions zero;
  zero.k = 0;
  std::vector<float> ok = b.corpus.QueryNear(1, 1);
  EXPECT_FALSE(b.searcher->Search({ok.data(), 32, kDim}, zero).ok());
  std::vector<uint8_t> short_filter(3, 1);
  SearchOptions bad_filter;
  bad_filter.allowed_slots = &short_filter;
  EXPECT_FALSE(b.searcher->Search({ok.data(), 32, kDim}, bad_filter).ok());
}

TEST(PlaidSearcherTest, DefaultsFollowK) {
  SearchOptions o;
  o.k = 10;
  const SearchOptions small = ResolveSearchOptions(o);
  o.k = 1000;
  EXPECT_GT(ResolveSearchOptions(o).ncells, small.ncells);
  EXPECT_GE(ResolveSearchOptions(o).ndocs, 4000);
  o.ndocs = 5;
  EXPECT_GE(ResolveSearchOptions(o).ndocs, 4 * o.k);
}

}  // namespace
}  // namespace lateral

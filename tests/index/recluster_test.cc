// Churn and drift: after half the collection is replaced by documents on new
// topics, re-clustering restores the quality of a fresh build, and the drift
// estimate notices the need for it.
#include "index/recluster.h"

#include <filesystem>
#include <set>

#include "absl/strings/numbers.h"
#include "benchmarks/synthetic/synthetic_corpus.h"
#include "gtest/gtest.h"
#include "index/searchable_index.h"
#include "query/maxsim.h"
#include "query/plaid_searcher.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using testing::ScratchDir;
using testing::SyntheticCorpus;
using testing::SyntheticCorpusOptions;
using testing::SyntheticDocumentSource;

constexpr int kDim = 64;
constexpr int64_t kFirst = 1500;  // documents of the first corpus; later ones come from the second

SyntheticCorpusOptions CorpusOptions(uint64_t seed) {
  SyntheticCorpusOptions o;
  o.dim = kDim;
  o.topics = 128;
  o.seed = seed;
  return o;
}

struct Corpora {
  SyntheticCorpus old_topics{CorpusOptions(1)};
  SyntheticCorpus new_topics{CorpusOptions(2)};  // other topic directions: drift
  const SyntheticCorpus& For(int64_t index) const { return index < kFirst ? old_topics : new_topics; }
};

int64_t IndexOf(const std::string& external_id) {
  int64_t i = -1;
  EXPECT_TRUE(absl::SimpleAtoi(external_id.substr(4), &i)) << external_id;
  return i;
}

// The documents `ids` of the corpora, as a builder source (a fresh build of
// what a churned collection holds).
class LiveSource : public DocumentSource {
 public:
  LiveSource(const Corpora& corpora, const std::vector<int64_t>& ids) : corpora_(corpora), ids_(ids) {}
  int64_t size() const override { return static_cast<int64_t>(ids_.size()); }
  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override {
    out.clear();
    for (int64_t i = begin; i < end; ++i) {
      const int64_t index = ids_[i];
      DocumentVectors d;
      d.vectors = corpora_.For(index).Document(index);
      d.record = SyntheticDocumentSource::Record(corpora_.For(index), index, d.vectors.size() / kDim);
      out.push_back(std::move(d));
    }
    return absl::OkStatus();
  }

 private:
  const Corpora& corpora_;
  const std::vector<int64_t>& ids_;
};

BuildOptions Options() {
  BuildOptions o;
  o.codec.kmeans_iterations = 6;
  return o;
}

// Builds `store` from documents [0, kFirst) of `original`, deletes every
// other one and adds kFirst / 2 documents (indexes kFirst..) of
// `replacements`: 50% churn. Returns the indexes of the live documents.
std::vector<int64_t> BuildAndChurn(CollectionStore& store, const SyntheticCorpus& original,
                                   const SyntheticCorpus& replacements) {
  SyntheticDocumentSource first(original, kFirst);
  EXPECT_TRUE(BuildIndex(store, first, Options()).ok());
  std::vector<std::string> gone;
  std::vector<int64_t> live;
  for (int64_t i = 0; i < kFirst; ++i) {
    if (i % 2 == 0) {
      gone.push_back("doc-" + std::to_string(i));
    } else {
      live.push_back(i);
    }
  }
  EXPECT_TRUE(store.Delete(gone).ok());
  SyntheticDocumentSource added(replacements, kFirst / 2, /*first=*/kFirst);
  EXPECT_TRUE(AddDocuments(store, added, Options()).ok());
  for (int64_t i = kFirst; i < kFirst + kFirst / 2; ++i) live.push_back(i);
  return live;
}

// Recall@10 of default search against exhaustive MaxSim over the original
// (uncompressed) vectors of `live` documents, for queries near them.
double TrueRecall(const CollectionStore& store, const Corpora& corpora, const std::vector<int64_t>& live) {
  auto snapshot = store.Snapshot();
  auto loaded = SearchableIndex::Load(*snapshot);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  std::shared_ptr<const SearchableIndex> index = std::move(*loaded);
  PlaidSearcher searcher(index);
  std::vector<std::vector<float>> originals;
  for (int64_t i : live) originals.push_back(corpora.For(i).Document(i));
  double recall = 0;
  const int queries = 40;
  for (int q = 0; q < queries; ++q) {
    const int64_t target = live[(q * 37) % live.size()];
    std::vector<float> qv = corpora.For(target).QueryNear(target, q);
    TokenMatrix query{qv.data(), 32, kDim};
    std::vector<std::pair<float, int64_t>> exact;
    for (size_t d = 0; d < live.size(); ++d) {
      exact.push_back({MaxSim(query, {originals[d].data(), static_cast<int64_t>(originals[d].size() / kDim), kDim}),
                       live[d]});
    }
    std::partial_sort(exact.begin(), exact.begin() + 10, exact.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::set<int64_t> want;
    for (int i = 0; i < 10; ++i) want.insert(exact[i].second);
    auto hits = searcher.Search(query, SearchOptions());
    EXPECT_TRUE(hits.ok()) << hits.status();
    int found = 0;
    for (const SearchHit& h : *hits) {
      auto record = snapshot->GetDocument(h.doc_id);
      found += want.count(IndexOf((*record)->external_id));
    }
    recall += found / 10.0;
  }
  return recall / queries;
}

TEST(ReclusterTest, HalfTheCollectionReplacedThenReclusteredMatchesAFreshBuild) {
  ScratchDir dir;
  Corpora corpora;
  const Manifest manifest{1, "synthetic:test", kDim, 2};
  const std::string path = dir.Sub("churned");
  std::vector<int64_t> live;
  {
    auto store = CollectionStore::Open(path, manifest);
    ASSERT_TRUE(store.ok()) << store.status();
    // 50% churn: every other old document goes, as many on new topics come.
    live = BuildAndChurn(**store, corpora.old_topics, corpora.new_topics);

    auto drift = EstimateDrift(*(*store)->Snapshot());
    ASSERT_TRUE(drift.ok()) << drift.status();
    EXPECT_TRUE(drift->recluster_advised) << drift->outer_fraction << " vs " << drift->expected_outer_fraction;
    const double churned = TrueRecall(**store, corpora, live);
    std::printf("recall@10 after churn, before re-clustering: %.3f\n", churned);
  }

  ReclusterOptions recluster;
  recluster.build = Options();
  recluster.revectorize = [&](const std::vector<const DocumentRecord*>& records,
                              std::vector<std::vector<float>>& vectors) {
    for (size_t r = 0; r < records.size(); ++r) {
      const int64_t i = IndexOf(records[r]->external_id);
      vectors[r] = corpora.For(i).Document(i);
    }
    return absl::OkStatus();
  };
  auto stats = Recluster(path, recluster);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->build.documents, static_cast<int64_t>(live.size()));
  EXPECT_FALSE(std::filesystem::exists(path + ".previous"));
  EXPECT_FALSE(std::filesystem::exists(path + ".recluster"));

  // A fresh build of the same final collection.
  const std::string fresh_path = dir.Sub("fresh");
  auto fresh = CollectionStore::Open(fresh_path, manifest);
  ASSERT_TRUE(fresh.ok());
  LiveSource source(corpora, live);
  ASSERT_TRUE(BuildIndex(**fresh, source, Options()).ok());
  auto fresh_drift = EstimateDrift(*(*fresh)->Snapshot());
  ASSERT_TRUE(fresh_drift.ok());
  EXPECT_FALSE(fresh_drift->recluster_advised) << fresh_drift->outer_fraction;
  const double fresh_recall = TrueRecall(**fresh, corpora, live);

  auto reclustered = CollectionStore::Open(path, std::nullopt);
  ASSERT_TRUE(reclustered.ok()) << reclustered.status();
  const double reclustered_recall = TrueRecall(**reclustered, corpora, live);
  std::printf("recall@10: re-clustered %.3f, fresh build %.3f\n", reclustered_recall, fresh_recall);
  EXPECT_GE(reclustered_recall, fresh_recall - 0.01);
  auto after = EstimateDrift(*(*reclustered)->Snapshot());
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->recluster_advised) << after->outer_fraction;
}

// Churn without drift (replacements on the same topics) needs no
// re-clustering: quality stays within 0.01 of a fresh build by itself.
TEST(ReclusterTest, HalfTheCollectionReplacedOnTheSameTopicsNeedsNoRecluster) {
  ScratchDir dir;
  Corpora corpora;
  const Manifest manifest{1, "synthetic:test", kDim, 2};
  auto store = CollectionStore::Open(dir.Sub("churned"), manifest);
  ASSERT_TRUE(store.ok());
  const std::vector<int64_t> live = BuildAndChurn(**store, corpora.old_topics, corpora.old_topics);
  auto drift = EstimateDrift(*(*store)->Snapshot());
  ASSERT_TRUE(drift.ok());
  EXPECT_FALSE(drift->recluster_advised) << drift->outer_fraction;

  // The added documents are indexes kFirst.. of the first corpus, so every
  // index maps to it.
  Corpora only_old;
  only_old.new_topics = only_old.old_topics;
  const double churned = TrueRecall(**store, only_old, live);
  auto fresh = CollectionStore::Open(dir.Sub("fresh"), manifest);
  ASSERT_TRUE(fresh.ok());
  LiveSource source(only_old, live);
  ASSERT_TRUE(BuildIndex(**fresh, source, Options()).ok());
  const double fresh_recall = TrueRecall(**fresh, only_old, live);
  std::printf("recall@10 after same-topic churn %.3f, fresh build %.3f\n", churned, fresh_recall);
  EXPECT_GE(churned, fresh_recall - 0.01);
}

TEST(ReclusterTest, RefusesAMissingOrEmptyStoreAndLeavesItAlone) {
  ScratchDir dir;
  EXPECT_FALSE(Recluster(dir.Sub("absent"), ReclusterOptions()).ok());
  const std::string path = dir.Sub("empty");
  {
    auto store = CollectionStore::Open(path, Manifest{1, "synthetic:test", kDim, 2});
    ASSERT_TRUE(store.ok());
  }
  auto result = Recluster(path, ReclusterOptions());
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(CollectionStore::Open(path, std::nullopt).ok());
}

}  // namespace
}  // namespace lateral

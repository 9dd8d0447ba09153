// The streaming build, incremental adds and deletes, through a real store,
// and the probed centroid search behind them.
#include "index/index_builder.h"

#include <cmath>
#include <random>

#include "benchmarks/synthetic/synthetic_corpus.h"
#include "gtest/gtest.h"
#include "index/centroid_searcher.h"
#include "index/searchable_index.h"
#include "query/plaid_searcher.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using testing::ScratchDir;
using testing::SyntheticCorpus;
using testing::SyntheticCorpusOptions;
using testing::SyntheticDocumentSource;

constexpr int kDim = 64;

SyntheticCorpusOptions Options() {
  SyntheticCorpusOptions o;
  o.dim = kDim;
  o.topics = 128;
  return o;
}

Manifest TestManifest() { return Manifest{1, "synthetic:test", kDim, 2}; }

std::unique_ptr<CollectionStore> OpenStore(const std::string& path) {
  auto store = CollectionStore::Open(path, TestManifest());
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

std::shared_ptr<const SearchableIndex> LoadIndex(const CollectionStore& store) {
  auto snapshot = store.Snapshot();
  auto index = SearchableIndex::Load(*snapshot);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(*index);
}

float Cosine(const float* a, const float* b, int dim) {
  double ab = 0, aa = 0, bb = 0;
  for (int d = 0; d < dim; ++d) ab += a[d] * b[d], aa += a[d] * a[d], bb += b[d] * b[d];
  return static_cast<float>(ab / std::sqrt(aa * bb));
}

TEST(IndexBuilderTest, BuildsAStoreThatLoadsAndDecodesEveryDocument) {
  ScratchDir dir;
  auto store = OpenStore(dir.Sub("store"));
  SyntheticCorpus corpus(Options());
  SyntheticDocumentSource source(corpus, 1500);
  BuildOptions options;
  options.batch_documents = 200;
  options.codec.kmeans_iterations = 4;  // k-means quality is not under test here
  int progress_calls = 0;
  int64_t last_done = 0;
  options.progress = [&](const BuildProgress& p) {
    ++progress_calls;
    if (std::string(p.phase) == "encoding") {
      EXPECT_GT(p.done, last_done);
      last_done = p.done;
    }
  };
  auto stats = BuildIndex(*store, source, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->documents, 1500);
  EXPECT_EQ(last_done, 1500);
  EXPECT_GE(progress_calls, 1500 / 200);
  EXPECT_GT(stats->centroids, 1);
  EXPECT_LE(stats->sample_documents, 1500);

  auto index = LoadIndex(*store);
  ASSERT_EQ(index->num_documents(), 1500);
  EXPECT_EQ(index->num_tokens(), stats->tokens);
  // Every document decodes close to its original vectors. The store keeps a
  // document's tokens grouped by centroid (MaxSim does not depend on their
  // order), so each original token is matched to its closest decoded one.
  double cosine_sum = 0;
  int64_t count = 0;
  std::vector<float> decoded;
  for (int64_t slot = 0; slot < 1500; slot += 7) {
    std::vector<float> original = corpus.Document(slot);
    ASSERT_TRUE(index->DecodeDocument(slot, decoded).ok());
    ASSERT_EQ(decoded.size(), original.size());
    const size_t n = original.size() / kDim;
    for (size_t t = 0; t < n; ++t) {
      float best = -1;
      for (size_t u = 0; u < n; ++u) best = std::max(best, Cosine(original.data() + t * kDim, decoded.data() + u * kDim, kDim));
      cosine_sum += best;
      ++count;
    }
  }
  EXPECT_GT(cosine_sum / count, 0.9);
  // Metadata came along: the "shard" field selects 1% of documents.
  auto filter = ParseMetadataFilter("shard = 3");
  ASSERT_TRUE(filter.ok()) << filter.status();
  auto allowed = index->metadata().Evaluate(*filter);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(std::count(allowed->begin(), allowed->end(), 1), 15);
}

TEST(IndexBuilderTest, AddsAndDeletesWithoutRebuilding) {
  ScratchDir dir;
  auto store = OpenStore(dir.Sub("store"));
  SyntheticCorpus corpus(Options());
  SyntheticDocumentSource first(corpus, 1000);
  ASSERT_TRUE(BuildIndex(*store, first, BuildOptions()).ok());
  auto codec_before = store->Snapshot()->GetCodec();

  SyntheticDocumentSource more(corpus, 300, /*first=*/1000);
  auto added = AddDocuments(*store, more, BuildOptions());
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->documents, 300);
  // Same centroids: no retraining.
  auto codec_after = store->Snapshot()->GetCodec();
  ASSERT_TRUE(codec_before.ok() && codec_after.ok());
  EXPECT_EQ((*codec_before)->centroids, (*codec_after)->centroids);

  std::vector<std::string> gone;
  for (int i = 0; i < 1300; i += 10) gone.push_back("doc-" + std::to_string(i));
  LATERAL_ASSERT_OK(store->Delete(gone));

  auto index = LoadIndex(*store);
  EXPECT_EQ(index->num_documents(), 1300 - 130);
  PlaidSearcher searcher(index);
  auto snapshot = store->Snapshot();
  // A query drawn near an added document finds it; near a deleted one, not it.
  for (int64_t target : {1001, 1155, 1299}) {
    std::vector<float> q = corpus.QueryNear(target, 5);
    auto hits = searcher.Search({q.data(), 32, kDim}, SearchOptions());
    ASSERT_TRUE(hits.ok()) << hits.status();
    auto record = snapshot->GetDocument((*hits)[0].doc_id);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->external_id, "doc-" + std::to_string(target));
  }
  std::vector<float> q = corpus.QueryNear(1010, 5);
  auto hits = searcher.Search({q.data(), 32, kDim}, SearchOptions());
  ASSERT_TRUE(hits.ok());
  for (const SearchHit& h : *hits) {
    auto record = snapshot->GetDocument(h.doc_id);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_NE((*record)->external_id, "doc-1010");
  }
}

// Residuals left in the store give the same results from much less memory.
TEST(IndexBuilderTest, ResidualsOnDiskGiveTheSameResults) {
  ScratchDir dir;
  auto store = OpenStore(dir.Sub("store"));
  SyntheticCorpus corpus(Options());
  SyntheticDocumentSource source(corpus, 800);
  ASSERT_TRUE(BuildIndex(*store, source, BuildOptions()).ok());
  std::shared_ptr<const StoreSnapshot> snapshot = store->Snapshot();
  auto in_memory = SearchableIndex::Load(*snapshot);
  IndexLoadOptions on_disk_options;
  on_disk_options.residuals_in_memory = false;
  auto on_disk = SearchableIndex::Load(snapshot, on_disk_options);
  ASSERT_TRUE(in_memory.ok() && on_disk.ok()) << on_disk.status();
  EXPECT_FALSE((*on_disk)->residuals_in_memory());
  // Exactly the residual bytes stay out of memory.
  EXPECT_EQ((*in_memory)->MemoryBytes() - (*on_disk)->MemoryBytes(),
            static_cast<size_t>((*in_memory)->num_tokens() * (*in_memory)->codec().code_bytes()));
  // Without a shared snapshot to keep, on-disk residuals are refused.
  EXPECT_FALSE(SearchableIndex::Load(*snapshot, on_disk_options).ok());
  PlaidSearcher a(std::move(*in_memory)), b(std::move(*on_disk));
  for (int64_t target : {3, 400, 799}) {
    std::vector<float> q = corpus.QueryNear(target, 9);
    SearchOptions options;
    options.k = 20;
    auto x = a.Search({q.data(), 32, kDim}, options);
    auto y = b.Search({q.data(), 32, kDim}, options);
    auto z = b.Exhaustive({q.data(), 32, kDim}, options);
    ASSERT_TRUE(x.ok() && y.ok() && z.ok()) << y.status();
    ASSERT_EQ(x->size(), y->size());
    for (size_t i = 0; i < x->size(); ++i) {
      EXPECT_EQ((*x)[i].doc_id, (*y)[i].doc_id);
      EXPECT_EQ((*x)[i].score, (*y)[i].score);
    }
  }
}

// A source whose documents can be damaged on purpose.
class DamagedSource : public DocumentSource {
 public:
  DamagedSource(const SyntheticCorpus& corpus, int64_t n, std::function<void(int64_t, DocumentVectors&)> damage)
      : inner_(corpus, n), damage_(std::move(damage)) {}
  int64_t size() const override { return inner_.size(); }
  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override {
    if (absl::Status s = inner_.Get(begin, end, out); !s.ok()) return s;
    for (int64_t i = begin; i < end; ++i) damage_(i, out[i - begin]);
    return absl::OkStatus();
  }

 private:
  SyntheticDocumentSource inner_;
  std::function<void(int64_t, DocumentVectors&)> damage_;
};

TEST(IndexBuilderTest, BadDocumentsAreRejectedByNameAndLeaveTheStoreAsItWas) {
  ScratchDir dir;
  auto store = OpenStore(dir.Sub("store"));
  SyntheticCorpus corpus(Options());
  SyntheticDocumentSource good(corpus, 400);
  ASSERT_TRUE(BuildIndex(*store, good, BuildOptions()).ok());
  const int64_t before = store->Snapshot()->NumDocuments();

  struct Case {
    const char* name;
    std::function<void(int64_t, DocumentVectors&)> damage;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"nan", [](int64_t i, DocumentVectors& d) { if (i == 7) d.vectors[3 * kDim + 1] = std::nanf(""); },
       "\"doc-7\" vector 3 has a NaN"},
      {"dimension", [](int64_t i, DocumentVectors& d) { if (i == 2) d.vectors.resize(d.vectors.size() - 5); },
       "not a whole number of 64-dimensional"},
      {"empty", [](int64_t i, DocumentVectors& d) { if (i == 4) d.vectors.clear(); }, "\"doc-4\" has no vectors"},
      {"duplicate", [](int64_t i, DocumentVectors& d) { if (i == 9) d.record.external_id = "doc-1"; }, "doc-1"},
  };
  for (const Case& c : cases) {
    DamagedSource bad(corpus, 20, c.damage);
    BuildOptions options;
    options.batch_documents = 64;  // the whole source is one batch
    auto result = AddDocuments(*store, bad, options);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_NE(result.status().message().find(c.message), std::string::npos) << c.name << ": " << result.status();
    EXPECT_EQ(store->Snapshot()->NumDocuments(), before) << c.name;
  }
  // A second build into a store with documents is refused, not merged.
  SyntheticDocumentSource again(corpus, 10);
  auto rebuilt = BuildIndex(*store, again, BuildOptions());
  EXPECT_EQ(rebuilt.status().code(), absl::StatusCode::kFailedPrecondition) << rebuilt.status();
  EXPECT_EQ(store->Snapshot()->NumDocuments(), before);
}

TEST(CentroidSearcherTest, ProbedSearchAgreesWithExhaustiveSearch) {
  // 8192 clustered centroids (probed path) and vectors near them.
  SyntheticCorpusOptions o;
  o.dim = 64;
  o.topics = 256;
  SyntheticCorpus corpus(o);
  std::vector<float> centroids, vectors;
  for (int64_t i = 0; centroids.size() < 8192u * 64; ++i) {
    std::vector<float> d = corpus.Document(i);
    centroids.insert(centroids.end(), d.begin(), d.end());
  }
  centroids.resize(8192 * 64);
  for (int64_t i = 100000; vectors.size() < 20000u * 64; ++i) {
    std::vector<float> d = corpus.Document(i);
    vectors.insert(vectors.end(), d.begin(), d.end());
  }
  const int64_t n = static_cast<int64_t>(vectors.size()) / 64;
  CentroidSearcherOptions exhaustive_options;
  exhaustive_options.exact_below = 1 << 20;
  CentroidSearcher exact = CentroidSearcher::Build(centroids.data(), 8192, 64, exhaustive_options);
  CentroidSearcher probed = CentroidSearcher::Build(centroids.data(), 8192, 64);
  ASSERT_TRUE(exact.exhaustive());
  ASSERT_FALSE(probed.exhaustive());
  std::vector<uint32_t> want(n), got(n);
  std::vector<float> want_score(n), got_score(n);
  exact.Nearest(vectors.data(), n, want.data(), want_score.data());
  probed.Nearest(vectors.data(), n, got.data(), got_score.data());
  int64_t agree = 0;
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    agree += want[i] == got[i];
    EXPECT_LE(got_score[i], want_score[i] + 1e-5);
    loss += want_score[i] - got_score[i];
    // The reported score is the inner product with the returned centroid.
    if (i % 97 == 0) {
      float dot = 0;
      for (int d = 0; d < 64; ++d) dot += vectors[i * 64 + d] * centroids[got[i] * 64 + d];
      EXPECT_NEAR(dot, got_score[i], 1e-4);
    }
  }
  EXPECT_GE(static_cast<double>(agree) / n, 0.97);
  EXPECT_LT(loss / n, 0.005);
}

}  // namespace
}  // namespace lateral

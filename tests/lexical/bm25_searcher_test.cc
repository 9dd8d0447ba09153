// Tests of BM25 search (query/lexical/bm25_searcher.h): the fast searcher
// against the naive oracle on random collections, a hand-computed score, the
// allowed_docs filter, the index's input checks and option validation.
#include "query/lexical/bm25_searcher.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lateral {
namespace {

LexicalTerms MakeTerms(const std::map<std::string, uint32_t>& tf) {
  LexicalTerms t;
  for (const auto& [term, count] : tf) {
    t.term_frequencies.emplace_back(term, count);
    t.length += count;
  }
  return t;
}

// Fast and naive rankings agree: same length, scores within 1e-5 rank by rank,
// and the same doc at each rank unless the two ranks' scores are within 1e-5
// of each other (a near-tie whose order may flip with summation order).
void ExpectSameRanking(const std::vector<LexicalHit>& fast, const std::vector<LexicalHit>& naive) {
  ASSERT_EQ(fast.size(), naive.size());
  for (size_t i = 0; i < fast.size(); ++i) {
    EXPECT_NEAR(fast[i].score, naive[i].score, 1e-5) << "rank " << i;
    if (fast[i].doc_id != naive[i].doc_id) {
      EXPECT_NEAR(fast[i].score, naive[i].score, 1e-5);
      bool near_tie = (i > 0 && std::abs(naive[i].score - naive[i - 1].score) < 1e-5) ||
                      (i + 1 < naive.size() && std::abs(naive[i].score - naive[i + 1].score) < 1e-5);
      EXPECT_TRUE(near_tie) << "rank " << i << ": fast doc " << fast[i].doc_id << " naive doc "
                            << naive[i].doc_id;
    }
  }
  for (size_t i = 1; i < fast.size(); ++i) {
    EXPECT_TRUE(fast[i - 1].score > fast[i].score ||
                (fast[i - 1].score == fast[i].score && fast[i - 1].doc_id < fast[i].doc_id))
        << "not sorted at rank " << i;
  }
}

TEST(Bm25Test, MatchesNaiveOnRandomCollections) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 40; ++trial) {
    const int vocabulary = 5 + trial % 30;
    const int num_docs = 1 + static_cast<int>(rng() % 300);
    InMemoryLexicalIndex index;
    // Sparse, shuffled doc ids so the dense array and id order are exercised.
    std::vector<uint32_t> ids;
    for (int d = 0; d < num_docs; ++d) ids.push_back(static_cast<uint32_t>(d * 3 + (trial % 3)));
    std::shuffle(ids.begin(), ids.end(), rng);
    for (uint32_t id : ids) {
      std::map<std::string, uint32_t> tf;
      const int length = 1 + static_cast<int>(rng() % 40);
      // Zipf-like term choice: low term ids are frequent.
      for (int i = 0; i < length; ++i) {
        const int t = static_cast<int>(std::pow(static_cast<double>(rng() % 1000) / 1000.0, 2) * vocabulary);
        ++tf["t" + std::to_string(t)];
      }
      ASSERT_TRUE(index.Add(id, MakeTerms(tf)).ok());
    }
    for (int q = 0; q < 25; ++q) {
      std::vector<std::string> query;
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) query.push_back("t" + std::to_string(rng() % (vocabulary + 3)));
      Bm25Options options;
      options.k = 1 + rng() % 20;
      options.k1 = (rng() % 4) * 0.6;
      options.b = (rng() % 5) * 0.25;
      std::vector<bool> allowed;
      if (q % 3 == 0) {
        allowed.resize(num_docs * 3 + 3);
        for (size_t i = 0; i < allowed.size(); ++i) allowed[i] = rng() % 2;
        options.allowed_docs = &allowed;
      }
      absl::StatusOr<std::vector<LexicalHit>> fast = SearchBm25(index, query, options);
      absl::StatusOr<std::vector<LexicalHit>> naive = NaiveBm25(index, query, options);
      ASSERT_TRUE(fast.ok()) << fast.status();
      ASSERT_TRUE(naive.ok()) << naive.status();
      SCOPED_TRACE(testing::Message() << "trial " << trial << " query " << q);
      ExpectSameRanking(*fast, *naive);
    }
  }
}

TEST(Bm25Test, HandComputedScores) {
  InMemoryLexicalIndex index;
  ASSERT_TRUE(index.Add(0, MakeTerms({{"a", 2}, {"b", 1}})).ok());  // length 3
  ASSERT_TRUE(index.Add(1, MakeTerms({{"b", 1}})).ok());            // length 1
  ASSERT_TRUE(index.Add(2, MakeTerms({{"c", 4}})).ok());            // length 4
  // N = 3, avgdl = 8/3.
  const double avgdl = 8.0 / 3.0, k1 = 1.2, b = 0.75;
  auto idf = [](double n, double df) { return std::log(1 + (n - df + 0.5) / (df + 0.5)); };
  auto w = [&](double tf, double dl) { return tf / (tf + k1 * (1 - b + b * dl / avgdl)); };
  const double doc0 = idf(3, 1) * w(2, 3) + idf(3, 2) * w(1, 3);
  const double doc1 = idf(3, 2) * w(1, 1);
  absl::StatusOr<std::vector<LexicalHit>> hits = SearchBm25(index, {"a", "b", "zzz"}, {});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);  // doc 2 matches nothing and is not returned
  EXPECT_EQ((*hits)[0].doc_id, 0u);
  EXPECT_NEAR((*hits)[0].score, doc0, 1e-6);
  EXPECT_EQ((*hits)[1].doc_id, 1u);
  EXPECT_NEAR((*hits)[1].score, doc1, 1e-6);
  // A repeated query term counts once per occurrence.
  hits = SearchBm25(index, {"b", "b"}, {});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_NEAR((*hits)[0].score, 2 * doc1, 1e-6);
}

TEST(Bm25Test, TiesBreakByAscendingDocId) {
  InMemoryLexicalIndex index;
  for (uint32_t id : {7u, 3u, 5u, 1u}) ASSERT_TRUE(index.Add(id, MakeTerms({{"x", 1}})).ok());
  Bm25Options options;
  options.k = 3;
  absl::StatusOr<std::vector<LexicalHit>> hits = SearchBm25(index, {"x"}, options);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 3u);
  EXPECT_EQ((*hits)[0].doc_id, 1u);
  EXPECT_EQ((*hits)[1].doc_id, 3u);
  EXPECT_EQ((*hits)[2].doc_id, 5u);
}

TEST(Bm25Test, AllowedDocsFiltersWithoutChangingScores) {
  InMemoryLexicalIndex index;
  for (uint32_t id = 0; id < 10; ++id) {
    ASSERT_TRUE(index.Add(id, MakeTerms({{"x", id + 1}, {"pad", 10}})).ok());
  }
  Bm25Options all;
  all.k = 10;
  absl::StatusOr<std::vector<LexicalHit>> unfiltered = SearchBm25(index, {"x"}, all);
  ASSERT_TRUE(unfiltered.ok());
  std::vector<bool> allowed = {true, false, true, false, true};  // ids >= 5 excluded by size
  Bm25Options filtered = all;
  filtered.allowed_docs = &allowed;
  absl::StatusOr<std::vector<LexicalHit>> hits = SearchBm25(index, {"x"}, filtered);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 3u);
  std::map<uint32_t, float> score_of;
  for (const LexicalHit& h : *unfiltered) score_of[h.doc_id] = h.score;
  for (const LexicalHit& h : *hits) {
    EXPECT_TRUE(h.doc_id < allowed.size() && allowed[h.doc_id]) << h.doc_id;
    EXPECT_EQ(h.score, score_of[h.doc_id]);
  }
}

TEST(Bm25Test, EmptyCasesReturnNoHits) {
  InMemoryLexicalIndex empty;
  absl::StatusOr<std::vector<LexicalHit>> hits = SearchBm25(empty, {"x"}, {});
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
  InMemoryLexicalIndex index;
  ASSERT_TRUE(index.Add(0, MakeTerms({{"x", 1}})).ok());
  hits = SearchBm25(index, {}, {});
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
  hits = SearchBm25(index, {"", "unknown"}, {});
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
}

TEST(Bm25Test, BadOptionsNameTheOption) {
  InMemoryLexicalIndex index;
  ASSERT_TRUE(index.Add(0, MakeTerms({{"x", 1}})).ok());
  struct Case {
    Bm25Options options;
    std::string field;
  };
  std::vector<Case> cases;
  Bm25Options o;
  o.k1 = -0.1;
  cases.push_back({o, "k1"});
  o = {};
  o.k1 = NAN;
  cases.push_back({o, "k1"});
  o = {};
  o.b = 1.5;
  cases.push_back({o, "b"});
  o = {};
  o.b = -0.5;
  cases.push_back({o, "b"});
  o = {};
  o.k = 0;
  cases.push_back({o, ".k "});
  for (const Case& c : cases) {
    for (auto* search : {&SearchBm25, &NaiveBm25}) {
      absl::StatusOr<std::vector<LexicalHit>> hits = (*search)(index, {"x"}, c.options);
      ASSERT_FALSE(hits.ok()) << c.field;
      EXPECT_EQ(hits.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(std::string(hits.status().message()).find(c.field), std::string::npos)
          << hits.status();
    }
  }
}

TEST(Bm25Test, IndexRejectsInconsistentInput) {
  InMemoryLexicalIndex index;
  ASSERT_TRUE(index.Add(0, MakeTerms({{"x", 1}})).ok());
  EXPECT_FALSE(index.Add(0, MakeTerms({{"y", 1}})).ok());  // duplicate id
  LexicalTerms bad_length = MakeTerms({{"y", 2}});
  bad_length.length = 5;
  EXPECT_FALSE(index.Add(1, bad_length).ok());
  EXPECT_FALSE(index.Add(2, MakeTerms({{"", 1}})).ok());
  EXPECT_FALSE(index.Add(3, MakeTerms({{"z", 0}})).ok());
  // Rejected documents left no trace.
  absl::StatusOr<LexicalStats> stats = index.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->num_documents, 1);
  EXPECT_EQ(stats->total_length, 1);
  absl::StatusOr<std::vector<LexicalPosting>> y = index.Postings("y");
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(y->empty());
}

}  // namespace
}  // namespace lateral

// Tests of rank fusion (query/lexical/fusion.h): hand-worked cases and a
// brute-force oracle that recomputes each fused score from its definition.
#include "query/lexical/fusion.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace lateral {
namespace {

using Lists = std::vector<std::vector<RankedHit>>;

std::vector<uint32_t> Ids(const std::vector<RankedHit>& hits) {
  std::vector<uint32_t> ids;
  for (const RankedHit& h : hits) ids.push_back(h.doc_id);
  return ids;
}

TEST(FusionTest, ReciprocalRankHandWorked) {
  // List A: 1, 2, 3. List B: 3, 1. With k = 1:
  //   doc 1: 1/2 + 1/3 = 0.8333;  doc 3: 1/4 + 1/2 = 0.75;  doc 2: 1/3.
  const Lists lists = {{{1, 9}, {2, 8}, {3, 7}}, {{3, 0.5f}, {1, 0.1f}}};
  const std::vector<RankedHit> fused = FuseReciprocalRank(lists, 1, 10);
  ASSERT_EQ(Ids(fused), (std::vector<uint32_t>{1, 3, 2}));
  EXPECT_NEAR(fused[0].score, 1.0 / 2 + 1.0 / 3, 1e-6);
  EXPECT_NEAR(fused[1].score, 0.75, 1e-6);
  EXPECT_NEAR(fused[2].score, 1.0 / 3, 1e-6);
  // limit cuts the tail.
  EXPECT_EQ(Ids(FuseReciprocalRank(lists, 1, 2)), (std::vector<uint32_t>{1, 3}));
  EXPECT_TRUE(FuseReciprocalRank(lists, 1, 0).empty());
}

TEST(FusionTest, ReciprocalRankTiesByDocId) {
  // Docs 9 and 4 both rank first in one list each: equal scores, 4 first.
  const Lists lists = {{{9, 1}}, {{4, 1}}};
  EXPECT_EQ(Ids(FuseReciprocalRank(lists)), (std::vector<uint32_t>{4, 9}));
  // Swapping the input lists changes nothing.
  const Lists swapped = {{{4, 1}}, {{9, 1}}};
  EXPECT_EQ(Ids(FuseReciprocalRank(swapped)), (std::vector<uint32_t>{4, 9}));
}

TEST(FusionTest, DuplicateDocInAListCountsOnce) {
  const Lists lists = {{{5, 3}, {5, 2}, {6, 1}}};
  const std::vector<RankedHit> fused = FuseReciprocalRank(lists, 60, 10);
  ASSERT_EQ(Ids(fused), (std::vector<uint32_t>{5, 6}));
  EXPECT_NEAR(fused[0].score, 1.0 / 61, 1e-7);
  EXPECT_NEAR(fused[1].score, 1.0 / 62, 1e-7);  // rank 2: the repeat does not take a rank
}

TEST(FusionTest, WeightedHandWorked) {
  // List A scores 10, 6, 2 -> normalised 1, 0.5, 0 for docs 1, 2, 3.
  // List B scores 0.9, 0.1 -> normalised 1, 0 for docs 3, 4.
  // Weights 0.7, 0.3: doc1 0.7, doc2 0.35, doc3 0 + 0.3, doc4 0.
  const Lists lists = {{{1, 10}, {2, 6}, {3, 2}}, {{3, 0.9f}, {4, 0.1f}}};
  const std::vector<RankedHit> fused = FuseWeighted(lists, {0.7, 0.3}, 10);
  ASSERT_EQ(Ids(fused), (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_NEAR(fused[0].score, 0.7, 1e-6);
  EXPECT_NEAR(fused[1].score, 0.35, 1e-6);
  EXPECT_NEAR(fused[2].score, 0.3, 1e-6);
  EXPECT_NEAR(fused[3].score, 0.0, 1e-6);
}

TEST(FusionTest, WeightedConstantListCountsAsOne) {
  const Lists lists = {{{8, 5}, {2, 5}}};
  const std::vector<RankedHit> fused = FuseWeighted(lists, {2.0}, 10);
  ASSERT_EQ(Ids(fused), (std::vector<uint32_t>{2, 8}));
  EXPECT_NEAR(fused[0].score, 2.0, 1e-6);
  EXPECT_NEAR(fused[1].score, 2.0, 1e-6);
}

// The definitions, computed the slow way for every doc in any list.
std::map<uint32_t, double> OracleRrf(const Lists& lists, double c) {
  std::map<uint32_t, double> out;
  for (const auto& list : lists) {
    std::set<uint32_t> seen;
    int rank = 0;
    for (const RankedHit& h : list) {
      if (seen.count(h.doc_id)) continue;
      seen.insert(h.doc_id);
      out[h.doc_id] += 1.0 / (c + ++rank);
    }
  }
  return out;
}

std::map<uint32_t, double> OracleWeighted(const Lists& lists, const std::vector<double>& weights) {
  std::map<uint32_t, double> out;
  for (size_t i = 0; i < lists.size(); ++i) {
    double lo = 1e300, hi = -1e300;
    for (const RankedHit& h : lists[i]) lo = std::min(lo, double(h.score)), hi = std::max(hi, double(h.score));
    std::set<uint32_t> seen;
    for (const RankedHit& h : lists[i]) {
      if (seen.count(h.doc_id)) continue;
      seen.insert(h.doc_id);
      out[h.doc_id] += weights[i] * (hi > lo ? (h.score - lo) / (hi - lo) : 1.0);
    }
  }
  return out;
}

void ExpectMatchesOracle(const std::vector<RankedHit>& fused, const std::map<uint32_t, double>& oracle,
                         size_t limit) {
  std::vector<std::pair<double, uint32_t>> sorted;
  for (const auto& [doc, score] : oracle) sorted.emplace_back(-score, doc);
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(fused.size(), std::min(limit, sorted.size()));
  for (size_t i = 0; i < fused.size(); ++i) {
    EXPECT_NEAR(fused[i].score, -sorted[i].first, 1e-5) << "rank " << i;
    // Exact order unless the oracle has a near-tie here.
    if (fused[i].doc_id != sorted[i].second) {
      EXPECT_NEAR(oracle.at(fused[i].doc_id), -sorted[i].first, 1e-9) << "rank " << i;
    }
  }
}

TEST(FusionTest, MatchesBruteForceOracle) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    Lists lists(1 + rng() % 4);
    for (auto& list : lists) {
      const int n = rng() % 15;
      for (int i = 0; i < n; ++i) {
        list.push_back({static_cast<uint32_t>(rng() % 20), static_cast<float>(rng() % 7) * 0.5f - 1});
      }
    }
    std::vector<double> weights;
    for (size_t i = 0; i < lists.size(); ++i) weights.push_back((rng() % 5) * 0.25);
    const size_t limit = rng() % 25;
    const double c = (rng() % 3) * 30.0;
    SCOPED_TRACE(trial);
    ExpectMatchesOracle(FuseReciprocalRank(lists, c, limit), OracleRrf(lists, c), limit);
    ExpectMatchesOracle(FuseWeighted(lists, weights, limit), OracleWeighted(lists, weights), limit);
  }
}

}  // namespace
}  // namespace lateral

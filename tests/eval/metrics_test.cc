// Tests for query/eval/metrics: hand-computed cases, a brute-force oracle on random runs,
// the same-/cross-language split, nearest-rank percentiles, and the report formats.
#include "query/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lateral::eval {
namespace {

using Judgements = absl::flat_hash_map<std::string, int>;

constexpr double kEps = 1e-12;

// --- Hand-computed single-query cases -------------------------------------------------------

TEST(ScoreRankingTest, GradedRelevanceOneAndTwo) {
  // Relevant: a (2), b (1), c (1). Ranking: x a y b.
  // DCG  = 2/log2(3) + 1/log2(5)                    = 1.2618595 + 0.4306766 = 1.6925361
  // IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4)        = 2 + 0.6309298 + 0.5   = 3.1309298
  // nDCG = 0.5405858; Recall@10 = Recall@100 = 2/3; first relevant at rank 2 -> MRR 1/2.
  QueryMetrics m = ScoreRanking({"x", "a", "y", "b"}, Judgements{{"a", 2}, {"b", 1}, {"c", 1}});
  EXPECT_NEAR(m.ndcg_at_10, 0.5405857679450102, 1e-12);
  EXPECT_NEAR(m.recall_at_10, 2.0 / 3.0, kEps);
  EXPECT_NEAR(m.recall_at_100, 2.0 / 3.0, kEps);
  EXPECT_NEAR(m.mrr_at_10, 0.5, kEps);
  EXPECT_EQ(m.num_relevant, 3);
  EXPECT_EQ(m.first_relevant_rank, 2);
}

TEST(ScoreRankingTest, HigherGradeFirstIsIdeal) {
  // Relevant: a (1), b (2). Ranking a b: DCG = 1 + 2/log2(3) = 2.2618595,
  // IDCG = 2 + 1/log2(3) = 2.6309298, nDCG = 0.8597187. Ranking b a is the ideal: 1.
  Judgements j{{"a", 1}, {"b", 2}};
  EXPECT_NEAR(ScoreRanking({"a", "b"}, j).ndcg_at_10, 0.8597186998521972, 1e-12);
  EXPECT_NEAR(ScoreRanking({"b", "a"}, j).ndcg_at_10, 1.0, kEps);
}

TEST(ScoreRankingTest, RelevantAtRankElevenCountsOnlyForRecallAt100) {
  std::vector<std::string> ranking;
  for (int i = 1; i <= 10; ++i) ranking.push_back("n" + std::to_string(i));
  ranking.push_back("r");
  QueryMetrics m = ScoreRanking(ranking, Judgements{{"r", 1}});
  EXPECT_EQ(m.ndcg_at_10, 0);
  EXPECT_EQ(m.recall_at_10, 0);
  EXPECT_EQ(m.recall_at_100, 1);
  EXPECT_EQ(m.mrr_at_10, 0);
  EXPECT_EQ(m.first_relevant_rank, 11);
}

TEST(ScoreRankingTest, RelevantAtRank101IsOutsideRecallAt100) {
  std::vector<std::string> ranking;
  for (int i = 1; i <= 100; ++i) ranking.push_back("n" + std::to_string(i));
  ranking.push_back("r");
  QueryMetrics m = ScoreRanking(ranking, Judgements{{"r", 1}, {"s", 1}});
  EXPECT_EQ(m.recall_at_100, 0);
  EXPECT_EQ(m.first_relevant_rank, 101);
}

TEST(ScoreRankingTest, NothingRelevantRetrieved) {
  QueryMetrics m = ScoreRanking({"x", "y", "z"}, Judgements{{"a", 1}, {"b", 2}});
  EXPECT_EQ(m.ndcg_at_10, 0);
  EXPECT_EQ(m.recall_at_10, 0);
  EXPECT_EQ(m.recall_at_100, 0);
  EXPECT_EQ(m.mrr_at_10, 0);
  EXPECT_EQ(m.first_relevant_rank, 0);
  EXPECT_EQ(m.num_relevant, 2);
}

TEST(ScoreRankingTest, FewerThanTenResults) {
  // Relevant a, b (1 each); ranking is just a. DCG = 1, IDCG = 1 + 1/log2(3) = 1.6309298,
  // nDCG = 0.6131472; Recall@10 = 1/2; MRR = 1.
  QueryMetrics m = ScoreRanking({"a"}, Judgements{{"a", 1}, {"b", 1}});
  EXPECT_NEAR(m.ndcg_at_10, 0.6131471927654584, 1e-12);
  EXPECT_NEAR(m.recall_at_10, 0.5, kEps);
  EXPECT_NEAR(m.mrr_at_10, 1.0, kEps);
  // An empty ranking scores 0 everywhere.
  QueryMetrics empty = ScoreRanking({}, Judgements{{"a", 1}});
  EXPECT_EQ(empty.ndcg_at_10, 0);
  EXPECT_EQ(empty.recall_at_100, 0);
}

TEST(ScoreRankingTest, IdealDcgIsCutAtTen) {
  // 12 relevant docs of grade 1, all retrieved: the ideal also has only 10 slots, so nDCG = 1;
  // recall@10 = 10/12.
  Judgements j;
  std::vector<std::string> ranking;
  for (int i = 0; i < 12; ++i) {
    j["r" + std::to_string(i)] = 1;
    ranking.push_back("r" + std::to_string(i));
  }
  QueryMetrics m = ScoreRanking(ranking, j);
  EXPECT_NEAR(m.ndcg_at_10, 1.0, kEps);
  EXPECT_NEAR(m.recall_at_10, 10.0 / 12.0, kEps);
  EXPECT_NEAR(m.recall_at_100, 1.0, kEps);
}

TEST(ScoreRankingTest, NonPositiveGradesAreNotRelevant) {
  // a is judged 0, z judged -1: neither relevant. Only b (1) at rank 2: nDCG = 1/log2(3) = 0.6309.
  QueryMetrics m = ScoreRanking({"a", "b", "z"}, Judgements{{"a", 0}, {"b", 1}, {"z", -1}});
  EXPECT_NEAR(m.ndcg_at_10, 0.6309297535714575, 1e-12);
  EXPECT_EQ(m.num_relevant, 1);
  EXPECT_EQ(m.first_relevant_rank, 2);
  EXPECT_NEAR(m.mrr_at_10, 0.5, kEps);
}

// --- Evaluate: coverage rules and rejected input -------------------------------------------

TEST(EvaluateTest, DuplicateDocIdsAreRejected) {
  Qrels qrels{{"q", {{"a", 1}}}};
  auto report = Evaluate(qrels, {}, {}, {RankedList{"q", {"a", "b", "a"}, 1.0}});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("\"a\" at rank 3 repeats rank 1"), std::string::npos)
      << report.status();
}

TEST(EvaluateTest, TwoListsForOneQueryAreRejected) {
  Qrels qrels{{"q", {{"a", 1}}}};
  auto report = Evaluate(qrels, {}, {}, {RankedList{"q", {"a"}, 1}, RankedList{"q", {"b"}, 1}});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("second ranked list for query \"q\""),
            std::string::npos);
  EXPECT_FALSE(Evaluate(qrels, {}, {}, {RankedList{"", {"a"}, 1}}).ok());
}

TEST(EvaluateTest, MissingResultsScoreZeroAndUnjudgedQueriesAreSkipped) {
  // q1: a at rank 1 -> all metrics 1. q2: judged, no results -> 0. q3: only grade-0 judgements
  // -> not evaluated. q4: results but no qrels -> ignored for metrics, counted for latency.
  Qrels qrels{{"q1", {{"a", 1}}}, {"q2", {{"b", 1}}}, {"q3", {{"c", 0}}}};
  std::vector<RankedList> results{{"q1", {"a"}, 2.0}, {"q3", {"c"}, 4.0}, {"q4", {"a"}, 6.0}};
  auto report = Evaluate(qrels, {}, {}, results);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->overall.num_queries, 2);
  EXPECT_NEAR(report->overall.ndcg_at_10, 0.5, kEps);
  EXPECT_NEAR(report->overall.mrr_at_10, 0.5, kEps);
  EXPECT_EQ(report->num_queries_without_results, 1);
  EXPECT_EQ(report->num_results_without_qrels, 2);  // q3 and q4
  EXPECT_EQ(report->latency.count, 3);
  EXPECT_NEAR(report->latency.mean_ms, 4.0, kEps);
  ASSERT_EQ(report->per_query.size(), 2u);
  EXPECT_EQ(report->per_query[0].query_id, "q1");
  EXPECT_TRUE(report->per_query[0].has_results);
  EXPECT_EQ(report->per_query[1].query_id, "q2");
  EXPECT_FALSE(report->per_query[1].has_results);
}

// --- Same-/cross-language split on a tiny multilingual case ----------------------------------

TEST(EvaluateTest, SameAndCrossLanguageSplit) {
  // q_en (en): relevant e1 (en), f1 (fr); ranking f1 x e1.
  //   overall: DCG = 1 + 1/log2(4) = 1.5, IDCG = 1 + 1/log2(3) -> nDCG 0.9197208, MRR 1, R@10 1
  //   same (e1 only, rank 3): nDCG 1/log2(4) = 0.5, MRR 1/3;  cross (f1, rank 1): nDCG 1, MRR 1
  // q_fr (fr): relevant e2 (en); ranking x y e2 -> cross only: nDCG 0.5, MRR 1/3
  // q_de (de): relevant g1 (de, grade 2), u (no language -> "" != "de" -> cross); ranking g1.
  //   overall: DCG = 2, IDCG = 2 + 1/log2(3) -> nDCG 0.7601..., same: 1, cross (u missing): 0
  Qrels qrels{{"q_en", {{"e1", 1}, {"f1", 1}}},
              {"q_fr", {{"e2", 1}}},
              {"q_de", {{"g1", 2}, {"u", 1}}}};
  LanguageMap query_lang{{"q_en", "en"}, {"q_fr", "fr"}, {"q_de", "de"}};
  LanguageMap doc_lang{{"e1", "en"}, {"e2", "en"}, {"f1", "fr"}, {"g1", "de"}, {"x", "fr"}};
  std::vector<RankedList> results{{"q_en", {"f1", "x", "e1"}, 1},
                                  {"q_fr", {"x", "y", "e2"}, 1},
                                  {"q_de", {"g1"}, 1}};
  auto report = Evaluate(qrels, query_lang, doc_lang, results);
  ASSERT_TRUE(report.ok()) << report.status();
  const double q_de_overall = 2.0 / (2.0 + 1.0 / std::log2(3.0));

  EXPECT_EQ(report->overall.num_queries, 3);
  EXPECT_NEAR(report->overall.ndcg_at_10, (0.9197207891481876 + 0.5 + q_de_overall) / 3, 1e-12);

  EXPECT_EQ(report->same_language.num_queries, 2);  // q_en, q_de
  EXPECT_NEAR(report->same_language.ndcg_at_10, (0.5 + 1.0) / 2, kEps);
  EXPECT_NEAR(report->same_language.mrr_at_10, (1.0 / 3 + 1.0) / 2, kEps);
  EXPECT_NEAR(report->same_language.recall_at_10, 1.0, kEps);

  EXPECT_EQ(report->cross_language.num_queries, 3);  // q_en, q_fr, q_de
  EXPECT_NEAR(report->cross_language.ndcg_at_10, (1.0 + 0.5 + 0.0) / 3, kEps);
  EXPECT_NEAR(report->cross_language.mrr_at_10, (1.0 + 1.0 / 3 + 0.0) / 3, kEps);
  EXPECT_NEAR(report->cross_language.recall_at_10, 2.0 / 3, kEps);

  ASSERT_EQ(report->per_query_language.size(), 3u);
  EXPECT_EQ(report->per_query_language.at("en").num_queries, 1);
  EXPECT_NEAR(report->per_query_language.at("en").ndcg_at_10, 0.9197207891481876, 1e-12);
  EXPECT_EQ(report->same_language_per_language.count("fr"), 0u);
  EXPECT_NEAR(report->same_language_per_language.at("en").ndcg_at_10, 0.5, kEps);
  EXPECT_NEAR(report->cross_language_per_language.at("fr").mrr_at_10, 1.0 / 3, kEps);
  EXPECT_NEAR(report->cross_language_per_language.at("de").ndcg_at_10, 0.0, kEps);
}

// --- Brute-force oracle on random runs ---------------------------------------------------------

// Straight from the definitions, sharing no code with metrics.cc: for each rank position, look
// the doc up in the judgements; the ideal list is every judged grade > 0 sorted descending.
struct OracleScores {
  double ndcg = 0, r10 = 0, r100 = 0, mrr = 0;
};

OracleScores Oracle(const std::vector<std::string>& ranking, const Judgements& judgements) {
  std::vector<int> ideal;
  std::set<std::string> relevant;
  for (const auto& [doc, grade] : judgements) {
    if (grade > 0) {
      ideal.push_back(grade);
      relevant.insert(doc);
    }
  }
  std::sort(ideal.rbegin(), ideal.rend());
  double idcg = 0;
  for (int i = 1; i <= 10 && i <= static_cast<int>(ideal.size()); ++i) {
    idcg += ideal[i - 1] / (std::log(i + 1.0) / std::log(2.0));
  }
  OracleScores s;
  double dcg = 0;
  int found10 = 0, found100 = 0;
  for (int rank = 1; rank <= static_cast<int>(ranking.size()); ++rank) {
    const std::string& doc = ranking[rank - 1];
    if (!relevant.count(doc)) continue;
    if (rank <= 10) {
      dcg += judgements.at(doc) / (std::log(rank + 1.0) / std::log(2.0));
      ++found10;
      if (s.mrr == 0) s.mrr = 1.0 / rank;
    }
    if (rank <= 100) ++found100;
  }
  s.ndcg = dcg / idcg;
  s.r10 = static_cast<double>(found10) / relevant.size();
  s.r100 = static_cast<double>(found100) / relevant.size();
  return s;
}

TEST(EvaluateTest, MatchesBruteForceOracleOnRandomRuns) {
  std::mt19937 rng(20261127);
  const std::vector<std::string> langs = {"en", "fr", "de"};
  for (int trial = 0; trial < 30; ++trial) {
    const int num_docs = 20 + static_cast<int>(rng() % 200);
    const int num_queries = 1 + static_cast<int>(rng() % 40);
    std::vector<std::string> docs;
    LanguageMap doc_lang, query_lang;
    for (int d = 0; d < num_docs; ++d) {
      docs.push_back("d" + std::to_string(d));
      doc_lang[docs.back()] = langs[rng() % langs.size()];
    }
    Qrels qrels;
    std::vector<RankedList> results;
    for (int q = 0; q < num_queries; ++q) {
      const std::string qid = "q" + std::to_string(q);
      query_lang[qid] = langs[rng() % langs.size()];
      const int judged = static_cast<int>(rng() % 15);  // may be 0: query absent from qrels
      for (int k = 0; k < judged; ++k) qrels[qid][docs[rng() % docs.size()]] = rng() % 4;  // 0..3
      if (rng() % 8 == 0) continue;  // no results for this query
      std::vector<std::string> ranking = docs;
      std::shuffle(ranking.begin(), ranking.end(), rng);
      ranking.resize(rng() % std::min<size_t>(150, ranking.size() + 1));
      results.push_back({qid, ranking, static_cast<double>(rng() % 1000) / 10});
    }
    auto report = Evaluate(qrels, query_lang, doc_lang, results);
    ASSERT_TRUE(report.ok()) << report.status();

    // Oracle means over queries with >= 1 relevant doc, for the three views.
    double sums[3][4] = {};
    int counts[3] = {};
    size_t per_query_index = 0;
    std::vector<std::string> qids;
    for (const auto& [qid, j] : qrels) qids.push_back(qid);
    std::sort(qids.begin(), qids.end());
    for (const std::string& qid : qids) {
      const Judgements& all = qrels.at(qid);
      std::vector<std::string> ranking;
      for (const RankedList& r : results) {
        if (r.query_id == qid) ranking = r.doc_ids;
      }
      Judgements views[3];
      for (const auto& [doc, grade] : all) {
        views[0][doc] = grade;
        if (grade <= 0) continue;
        views[doc_lang.at(doc) == query_lang.at(qid) ? 1 : 2][doc] = grade;
      }
      for (int v = 0; v < 3; ++v) {
        bool any = std::any_of(views[v].begin(), views[v].end(),
                               [](const auto& e) { return e.second > 0; });
        if (!any) continue;
        OracleScores s = Oracle(ranking, views[v]);
        if (v == 0) {
          ASSERT_LT(per_query_index, report->per_query.size());
          const QueryMetrics& m = report->per_query[per_query_index++];
          EXPECT_EQ(m.query_id, qid);
          EXPECT_NEAR(m.ndcg_at_10, s.ndcg, 1e-9) << qid;
          EXPECT_NEAR(m.recall_at_10, s.r10, 1e-12) << qid;
          EXPECT_NEAR(m.recall_at_100, s.r100, 1e-12) << qid;
          EXPECT_NEAR(m.mrr_at_10, s.mrr, 1e-12) << qid;
        }
        sums[v][0] += s.ndcg;
        sums[v][1] += s.r10;
        sums[v][2] += s.r100;
        sums[v][3] += s.mrr;
        ++counts[v];
      }
    }
    EXPECT_EQ(per_query_index, report->per_query.size());
    const MetricSet* sets[3] = {&report->overall, &report->same_language,
                                &report->cross_language};
    for (int v = 0; v < 3; ++v) {
      ASSERT_EQ(sets[v]->num_queries, counts[v]) << "view " << v << " trial " << trial;
      if (counts[v] == 0) continue;
      EXPECT_NEAR(sets[v]->ndcg_at_10, sums[v][0] / counts[v], 1e-9);
      EXPECT_NEAR(sets[v]->recall_at_10, sums[v][1] / counts[v], 1e-9);
      EXPECT_NEAR(sets[v]->recall_at_100, sums[v][2] / counts[v], 1e-9);
      EXPECT_NEAR(sets[v]->mrr_at_10, sums[v][3] / counts[v], 1e-9);
    }
    // Per-language counts add up to the view totals.
    int64_t total = 0;
    for (const auto& [lang, s] : report->per_query_language) total += s.num_queries;
    EXPECT_EQ(total, report->overall.num_queries);
  }
}

// --- Latency percentiles -----------------------------------------------------------------------

TEST(LatencyTest, NearestRankHandCases) {
  LatencySummary s = SummarizeLatency({4, 1, 3, 2});
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.p50_ms, 2);  // ceil(0.5 * 4) = 2nd smallest
  EXPECT_EQ(s.p90_ms, 4);  // ceil(0.9 * 4) = 4th
  EXPECT_EQ(s.p99_ms, 4);
  EXPECT_EQ(s.max_ms, 4);
  EXPECT_NEAR(s.mean_ms, 2.5, kEps);
  LatencySummary one = SummarizeLatency({7});
  EXPECT_EQ(one.p50_ms, 7);
  EXPECT_EQ(one.p99_ms, 7);
  LatencySummary none = SummarizeLatency({});
  EXPECT_EQ(none.count, 0);
  EXPECT_EQ(none.p99_ms, 0);
}

// Nearest rank by its definition: the smallest value v with #{x <= v} >= p% of n.
double OraclePercentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  for (double v : values) {
    size_t at_most = std::upper_bound(values.begin(), values.end(), v) - values.begin();
    if (static_cast<double>(at_most) * 100.0 >= p * static_cast<double>(values.size())) return v;
  }
  return values.back();
}

TEST(LatencyTest, MatchesSortedVectorOracle) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> values(1 + rng() % 300);
    for (double& v : values) v = static_cast<double>(rng() % 50) / 4;  // many ties
    LatencySummary s = SummarizeLatency(values);
    EXPECT_EQ(s.p50_ms, OraclePercentile(values, 50)) << values.size();
    EXPECT_EQ(s.p90_ms, OraclePercentile(values, 90)) << values.size();
    EXPECT_EQ(s.p99_ms, OraclePercentile(values, 99)) << values.size();
    EXPECT_EQ(s.max_ms, *std::max_element(values.begin(), values.end()));
  }
}

// --- Report formats ------------------------------------------------------------------------------

EvalReport SampleReport() {
  Qrels qrels{{"q1", {{"a", 1}}}, {"q2", {{"b", 1}}}};
  LanguageMap query_lang{{"q1", "en"}, {"q2", "fr"}};
  LanguageMap doc_lang{{"a", "en"}, {"b", "en"}};
  auto report = Evaluate(qrels, query_lang, doc_lang,
                         {RankedList{"q1", {"a"}, 3.5}, RankedList{"q2", {"x", "b"}, 1.5}});
  EXPECT_TRUE(report.ok());
  return *report;
}

TEST(ReportTest, TableRowsAreAligned) {
  std::string table = FormatReport(SampleReport());
  std::vector<std::string> lines;
  for (size_t start = 0; start < table.size();) {
    size_t end = table.find('\n', start);
    lines.push_back(table.substr(start, end - start));
    start = end + 1;
  }
  // Header, overall, same, cross, en all, en same, fr all, fr cross, latency.
  ASSERT_GE(lines.size(), 9u) << table;
  for (size_t i = 1; i < 8; ++i) EXPECT_EQ(lines[i].size(), lines[0].size()) << lines[i];
  EXPECT_EQ(lines[1].rfind("overall", 0), 0u);
  EXPECT_NE(table.find("same-language"), std::string::npos);
  EXPECT_NE(table.find("fr cross"), std::string::npos);
  EXPECT_NE(table.find("p50 1.50"), std::string::npos) << table;  // nearest rank of {1.5, 3.5}
}

TEST(ReportTest, JsonCarriesTheNumbers) {
  EvalReport report = SampleReport();
  Json j = ReportToJson(report, /*include_per_query=*/true);
  EXPECT_EQ(j["overall"]["num_queries"].get<int64_t>(), 2);
  EXPECT_DOUBLE_EQ(j["overall"]["ndcg_at_10"].get<double>(), report.overall.ndcg_at_10);
  EXPECT_DOUBLE_EQ(j["cross_language"]["mrr_at_10"].get<double>(),
                   report.cross_language.mrr_at_10);
  EXPECT_EQ(j["per_query_language"]["fr"]["num_queries"].get<int64_t>(), 1);
  EXPECT_DOUBLE_EQ(j["latency"]["max_ms"].get<double>(), 3.5);
  ASSERT_EQ(j["per_query"].size(), 2u);
  EXPECT_EQ(j["per_query"][1]["first_relevant_rank"].get<int64_t>(), 2);
  EXPECT_FALSE(ReportToJson(report).contains("per_query"));
}

}  // namespace
}  // namespace lateral::eval

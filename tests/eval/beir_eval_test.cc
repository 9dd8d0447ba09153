// Tests for ingest/beir/beir_eval.h: languages come from the dataset's queries and documents.
#include "ingest/beir/beir_eval.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace lateral::ingest {
namespace {

const std::string kData = std::string(LATERAL_TEST_DATA_DIR) + "/eval";

TEST(BeirEvalTest, LanguagesFromTheDataset) {
  // tests/data/eval/tiny: q1 (en) relevant d1 (en, 2), d2 (fr, 1), 3 (de, 1); q2 (fr) relevant d4
  // (en, 1). Rankings: q1 -> 3 d1; q2 -> d4.
  //   q1 overall: DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3) + 1/log2(4)
  //   q1 same (d1 only, rank 2): nDCG = (2/log2(3)) / 2 = 0.6309298, MRR 1/2
  //   q1 cross (d2, 3; 3 at rank 1): DCG = 1, IDCG = 1 + 1/log2(3) -> 0.6131472, R@10 1/2
  //   q2 cross only (d4 at rank 1): all 1
  auto dataset = ReadBeirDataset(kData + "/tiny");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  std::vector<eval::RankedList> results{{"q1", {"3", "d1"}, 2.0}, {"q2", {"d4"}, 1.0}};
  auto report = EvaluateBeir(*dataset, results);
  ASSERT_TRUE(report.ok()) << report.status();
  const double q1 = (1 + 2 / std::log2(3.0)) / (2 + 1 / std::log2(3.0) + 0.5);
  EXPECT_EQ(report->overall.num_queries, 2);
  EXPECT_NEAR(report->overall.ndcg_at_10, (q1 + 1) / 2, 1e-12);
  EXPECT_EQ(report->same_language.num_queries, 1);
  EXPECT_NEAR(report->same_language.ndcg_at_10, 0.6309297535714575, 1e-12);
  EXPECT_NEAR(report->same_language.mrr_at_10, 0.5, 1e-12);
  EXPECT_EQ(report->cross_language.num_queries, 2);
  EXPECT_NEAR(report->cross_language.ndcg_at_10, (0.6131471927654584 + 1) / 2, 1e-12);
  EXPECT_NEAR(report->cross_language.recall_at_10, (0.5 + 1) / 2, 1e-12);
  EXPECT_EQ(report->per_query_language.at("fr").num_queries, 1);
  EXPECT_EQ(report->same_language_per_language.count("fr"), 0u);
}

}  // namespace
}  // namespace lateral::ingest

// The ColBERT pipeline against what PyLate computes for the colbert-tiny
// fixture: token ids (marker, expansion, truncation), kept vectors (skiplist),
// values, and the MaxSim score matrix.
#include "encoder/colbert/colbert_encoder.h"

#include "common/json.h"
#include "gtest/gtest.h"
#include "query/maxsim.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using testing::AllClose;
using testing::Fixture;
using testing::TestDataPath;

class ColbertFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto encoder = ColbertEncoder::Load(TestDataPath("colbert-tiny"));
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    encoder_ = std::move(*encoder);
    auto meta = ReadJsonFile(TestDataPath("colbert-tiny/expected.json"));
    ASSERT_TRUE(meta.ok()) << meta.status();
    for (const auto& q : (*meta)["queries"]) queries_.push_back(q.get<std::string>());
    for (const auto& d : (*meta)["documents"]) documents_.push_back(d.get<std::string>());
  }
  std::unique_ptr<ColbertEncoder> encoder_;
  std::vector<std::string> queries_, documents_;
  Fixture expected_{"colbert-tiny/expected.safetensors"};
};

TEST_F(ColbertFixtureTest, ConfigIsReadFromPyLateFiles) {
  const ColbertConfig& c = encoder_->config();
  EXPECT_EQ(c.query_length, 32);
  EXPECT_EQ(c.document_length, 64);
  EXPECT_TRUE(c.do_query_expansion);
  EXPECT_FALSE(c.attend_to_expansion_tokens);
  EXPECT_EQ(c.skiplist_words.size(), 32u);
  EXPECT_EQ(encoder_->dim(), 16);
}

TEST_F(ColbertFixtureTest, QueriesMatchPyLate) {
  ASSERT_EQ(queries_.size(), 6u);
  auto encoded = encoder_->EncodeQueries(queries_);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  for (size_t i = 0; i < queries_.size(); ++i) {
    SCOPED_TRACE("query " + std::to_string(i) + ": " + queries_[i]);
    const std::string key = "query" + std::to_string(i);
    EXPECT_EQ((*encoded)[i].input_ids, expected_.Ints(key + ".input_ids"));
    EXPECT_EQ((*encoded)[i].num_vectors, 32);
    EXPECT_TRUE(AllClose((*encoded)[i].vectors, expected_.Floats(key), 1e-4));
  }
}

TEST_F(ColbertFixtureTest, DocumentsMatchPyLate) {
  ASSERT_EQ(documents_.size(), 5u);
  auto encoded = encoder_->EncodeDocuments(documents_);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  for (size_t i = 0; i < documents_.size(); ++i) {
    SCOPED_TRACE("document " + std::to_string(i) + ": " + documents_[i]);
    const std::string key = "doc" + std::to_string(i);
    EXPECT_EQ((*encoded)[i].input_ids, expected_.Ints(key + ".input_ids"));
    EXPECT_EQ((*encoded)[i].num_vectors, expected_.Shape(key)[0]);
    EXPECT_TRUE(AllClose((*encoded)[i].vectors, expected_.Floats(key), 1e-4));
  }
}

TEST_F(ColbertFixtureTest, EncodingOneByOneEqualsBatch) {
  auto batch = encoder_->EncodeDocuments(documents_);
  ASSERT_TRUE(batch.ok());
  for (size_t i = 0; i < documents_.size(); ++i) {
    auto single = encoder_->EncodeDocuments({&documents_[i], 1});
    ASSERT_TRUE(single.ok());
    EXPECT_TRUE(AllClose((*single)[0].vectors, (*batch)[i].vectors, 1e-5));
  }
}

TEST_F(ColbertFixtureTest, MaxSimScoresMatchPyLate) {
  auto q = encoder_->EncodeQueries(queries_);
  auto d = encoder_->EncodeDocuments(documents_);
  ASSERT_TRUE(q.ok() && d.ok());
  std::vector<TokenMatrix> qm, dm;
  for (const auto& e : *q) qm.push_back({e.vectors.data(), e.num_vectors, e.dim});
  for (const auto& e : *d) dm.push_back({e.vectors.data(), e.num_vectors, e.dim});
  std::vector<float> scores = MaxSimMatrix(qm, dm);
  EXPECT_TRUE(AllClose(scores, expected_.Floats("maxsim_scores"), 1e-4));
  for (size_t i = 0; i < qm.size(); ++i) {
    for (size_t j = 0; j < dm.size(); ++j) {
      EXPECT_NEAR(scores[i * dm.size() + j], NaiveMaxSim(qm[i], dm[j]), 1e-4);
    }
  }
}

TEST(ColbertErrorsTest, NonColbertDirectoryIsRefused) {
  auto encoder = ColbertEncoder::Load(TestDataPath("lfm2moe-tiny"));
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("lfm2moe-tiny"), std::string::npos) << encoder.status();
}

}  // namespace
}  // namespace lateral

// LoadGenerationSettings: every field of generation_config.json, and errors naming file and field.
#include "encoder/generation/generation_config.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace lateral {
namespace {

class GenerationConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lateral_genconfig_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  absl::StatusOr<GenerationSettings> Load(const std::string& json) {
    std::ofstream(dir_ / "generation_config.json") << json;
    return LoadGenerationSettings(dir_.string());
  }
  std::filesystem::path dir_;
};

TEST_F(GenerationConfigTest, MissingFileGivesLfm2Defaults) {
  auto s = LoadGenerationSettings(dir_.string());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->sampling.greedy);
  EXPECT_FLOAT_EQ(s->sampling.temperature, 0.3f);
  EXPECT_FLOAT_EQ(s->sampling.min_p, 0.15f);
  EXPECT_FLOAT_EQ(s->sampling.repetition_penalty, 1.05f);
  EXPECT_TRUE(s->stop_token_ids.empty());
}

TEST_F(GenerationConfigTest, ReadsEveryField) {
  auto s = Load(R"({"do_sample": true, "temperature": 0.7, "top_k": 80, "top_p": 0.9, "min_p": 0.05,
                   "repetition_penalty": 1.2, "max_new_tokens": 64, "eos_token_id": [7, 2]})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->sampling.greedy);
  EXPECT_FLOAT_EQ(s->sampling.temperature, 0.7f);
  EXPECT_EQ(s->sampling.top_k, 80);
  EXPECT_FLOAT_EQ(s->sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(s->sampling.min_p, 0.05f);
  EXPECT_FLOAT_EQ(s->sampling.repetition_penalty, 1.2f);
  EXPECT_EQ(s->max_new_tokens, 64);
  EXPECT_EQ(s->stop_token_ids, (std::vector<int32_t>{7, 2}));

  s = Load(R"({"do_sample": false, "eos_token_id": 7, "temperature": 1})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->sampling.greedy);
  EXPECT_EQ(s->stop_token_ids, (std::vector<int32_t>{7}));
  EXPECT_FLOAT_EQ(s->sampling.temperature, 1.0f);

  s = Load(R"({"temperature": 0, "top_k": null, "eos_token_id": null})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->sampling.greedy);
  EXPECT_EQ(s->sampling.top_k, 0);
  EXPECT_TRUE(s->stop_token_ids.empty());
}

TEST_F(GenerationConfigTest, ErrorsNameTheFileAndTheField) {
  const std::string file = (dir_ / "generation_config.json").string();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"temperature": "hot"})", "temperature"},
      {R"({"temperature": -1})", "temperature"},
      {R"({"top_k": 1.5})", "top_k"},
      {R"({"top_k": -3})", "top_k"},
      {R"({"top_p": 0})", "top_p"},
      {R"({"top_p": 1.5})", "top_p"},
      {R"({"min_p": 2})", "min_p"},
      {R"({"repetition_penalty": 0})", "repetition_penalty"},
      {R"({"do_sample": "yes"})", "do_sample"},
      {R"({"max_new_tokens": -1})", "max_new_tokens"},
      {R"({"eos_token_id": "</s>"})", "eos_token_id"},
      {R"({"eos_token_id": [7, "x"]})", "eos_token_id"},
      {R"({"eos_token_id": -2})", "eos_token_id"},
  };
  for (const auto& [json, field] : bad) {
    auto s = Load(json);
    ASSERT_FALSE(s.ok()) << json;
    EXPECT_NE(s.status().message().find(file), std::string::npos) << s.status();
    EXPECT_NE(s.status().message().find(field), std::string::npos) << s.status();
  }
  auto s = Load("[1, 2]");
  EXPECT_FALSE(s.ok());
  s = Load("{not json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(file), std::string::npos) << s.status();
}

}  // namespace
}  // namespace lateral

#include "encoder/generation/generator.h"

#include "encoder/generation/sampler.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using testing::Fixture;
using testing::TestDataPath;

TEST(GeneratorTest, GreedyContinuationMatchesReference) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2-tiny"));
  ASSERT_TRUE(model.ok()) << model.status();
  Fixture expected("lfm2-tiny/expected.safetensors");
  Generator generator(**model);
  GenerationSettings settings;
  settings.sampling.greedy = true;
  settings.max_new_tokens = 8;
  // case 2 has a comfortable top-2 margin at every step (expected.json).
  auto result = generator.Generate(expected.Ints("case2.input_ids"), settings);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->tokens, expected.Ints("case2.greedy_ids"));
  EXPECT_FALSE(result->stopped_on_token);
}

TEST(GeneratorTest, StopsOnStopTokenAndHonoursCallback) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2-tiny"));
  ASSERT_TRUE(model.ok()) << model.status();
  Fixture expected("lfm2-tiny/expected.safetensors");
  const std::vector<int32_t> greedy = expected.Ints("case2.greedy_ids");
  Generator generator(**model);
  GenerationSettings settings;
  settings.sampling.greedy = true;
  settings.max_new_tokens = 8;
  settings.stop_token_ids = {greedy[2]};
  auto result = generator.Generate(expected.Ints("case2.input_ids"), settings);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->stopped_on_token);
  EXPECT_EQ(result->tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + 3));

  settings.stop_token_ids.clear();
  int seen = 0;
  result = generator.Generate(expected.Ints("case2.input_ids"), settings, [&](int32_t) { return ++seen < 4; });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->tokens.size(), 4u);
}

TEST(GeneratorTest, LongPromptIsPrefilledInSlicesWithSameResult) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2-check"));
  ASSERT_TRUE(model.ok()) << model.status();
  Fixture expected("lfm2-check/expected.safetensors");
  std::vector<int32_t> prompt = expected.Ints("case3.input_ids");  // 300 tokens
  // Make it longer than one prefill slice by repeating it.
  std::vector<int32_t> longer;
  for (int i = 0; i < 4; ++i) longer.insert(longer.end(), prompt.begin(), prompt.end());
  Generator generator(**model);
  GenerationSettings settings;
  settings.sampling.greedy = true;
  settings.max_new_tokens = 3;
  auto sliced = generator.Generate(longer, settings);
  ASSERT_TRUE(sliced.ok()) << sliced.status();
  SequenceState state = (*model)->NewState();
  SequenceInput input{&state, longer, {}};
  ForwardOptions options;
  options.return_last_logits = true;
  auto whole = (*model)->Forward({&input, 1}, options);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(sliced->tokens[0], ArgMax(whole->last_logits));
}

}  // namespace
}  // namespace lateral

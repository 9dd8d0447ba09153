// GenerationSession: resuming from what it already computed gives what a fresh Generator
// gives (f32 reference path), diverging prompts fall back to a snapshot or a fresh state,
// cancellation mid-prefill and mid-decode, and the errors raised before any work.
#include "encoder/generation/generation_session.h"

#include "encoder/generation/generator.h"
#include "encoder/generation/sampler.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using testing::Fixture;
using testing::TestDataPath;

std::unique_ptr<Lfm2Model> LoadF32(const std::string& name) {
  ModelLoadOptions options;
  options.precision = Precision::kF32;
  auto model = Lfm2Model::Load(TestDataPath(name), options);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? std::move(*model) : nullptr;
}

GenerationSettings Greedy(int max_new_tokens) {
  GenerationSettings settings;
  settings.sampling.greedy = true;
  settings.max_new_tokens = max_new_tokens;
  return settings;
}

std::vector<int32_t> Concat(std::initializer_list<absl::Span<const int32_t>> parts) {
  std::vector<int32_t> out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<int32_t> Fresh(const Lfm2Model& model, absl::Span<const int32_t> prompt, int n) {
  auto result = Generator(model).Generate(prompt, Greedy(n));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->tokens : std::vector<int32_t>();
}

class GenerationSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = LoadF32("lfm2-tiny");
    ASSERT_NE(model_, nullptr);
    Fixture expected("lfm2-tiny/expected.safetensors");
    p1_ = expected.Ints("case2.input_ids");  // 41 tokens
    more_ = expected.Ints("case1.input_ids");  // 6 tokens
  }
  std::unique_ptr<Lfm2Model> model_;
  std::vector<int32_t> p1_;
  std::vector<int32_t> more_;
};

TEST_F(GenerationSessionTest, SecondTurnReusesTheFirstAndMatchesAFreshGenerator) {
  GenerationSession session(*model_);
  auto first = session.Generate(p1_, Greedy(6), nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->tokens, Fresh(*model_, p1_, 6));
  EXPECT_EQ(session.last_stats().reused_tokens, 0);
  EXPECT_EQ(session.last_stats().prefilled_tokens, static_cast<int>(p1_.size()));
  EXPECT_EQ(session.last_stats().generated_tokens, 6);
  // The state holds the prompt and every generated token but the last (never fed back).
  EXPECT_EQ(session.tokens().size(), p1_.size() + 5);

  const std::vector<int32_t> p2 = Concat({p1_, first->tokens, more_});
  auto second = session.Generate(p2, Greedy(6), nullptr);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->tokens, Fresh(*model_, p2, 6));
  EXPECT_EQ(session.last_stats().reused_tokens, static_cast<int>(p1_.size() + 5));
  EXPECT_EQ(session.last_stats().prefilled_tokens, static_cast<int>(p2.size() - p1_.size() - 5));
  EXPECT_GT(session.last_stats().first_token_seconds, 0);
  EXPECT_GE(session.last_stats().first_token_seconds, session.last_stats().prefill_seconds);
}

TEST_F(GenerationSessionTest, DivergingPromptFallsBackToASnapshotOrAFreshState) {
  GenerationSession session(*model_);
  auto first = session.Generate(p1_, Greedy(4), nullptr);
  ASSERT_TRUE(first.ok());
  auto second = session.Generate(Concat({p1_, first->tokens, more_}), Greedy(4), nullptr);
  ASSERT_TRUE(second.ok());

  // Same first prompt, then something else than the answer (a re-tokenised answer, an edit):
  // resumes from the snapshot at the end of p1.
  std::vector<int32_t> other = more_;
  std::reverse(other.begin(), other.end());
  const std::vector<int32_t> p3 = Concat({p1_, other});
  auto third = session.Generate(p3, Greedy(5), nullptr);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->tokens, Fresh(*model_, p3, 5));
  EXPECT_EQ(session.last_stats().reused_tokens, static_cast<int>(p1_.size()));

  // Diverges inside p1: no snapshot is that short, so it starts afresh.
  const std::vector<int32_t> p4 = Concat({absl::MakeConstSpan(p1_).subspan(0, 10), other});
  auto fourth = session.Generate(p4, Greedy(5), nullptr);
  ASSERT_TRUE(fourth.ok()) << fourth.status();
  EXPECT_EQ(fourth->tokens, Fresh(*model_, p4, 5));
  EXPECT_EQ(session.last_stats().reused_tokens, 0);
  EXPECT_EQ(session.tokens().size(), p4.size() + 4);

  // A prompt the session holds exactly still runs its last token (its logits are not kept).
  auto again = session.Generate(p4, Greedy(5), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->tokens, fourth->tokens);
  EXPECT_LT(session.last_stats().reused_tokens, static_cast<int>(p4.size()));

  session.Reset();
  EXPECT_TRUE(session.tokens().empty());
  auto after_reset = session.Generate(p1_, Greedy(6), nullptr);
  ASSERT_TRUE(after_reset.ok());
  EXPECT_EQ(after_reset->tokens, Fresh(*model_, p1_, 6));
  EXPECT_EQ(session.last_stats().reused_tokens, 0);
}

TEST_F(GenerationSessionTest, CancelMidDecodeReturnsTheTokensSoFar) {
  const std::vector<int32_t> greedy = Fresh(*model_, p1_, 8);
  GenerationSession session(*model_);
  int polls = 0;
  // Poll 1 is before the prefill; polls 2, 3, 4 before the decode steps after tokens 1, 2, 3.
  auto result = session.Generate(p1_, Greedy(8), nullptr, [&] { return ++polls == 4; });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(result->stopped_on_token);
  EXPECT_EQ(result->tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + 3));
  // The session stays usable and consistent: continuing from there equals a fresh run.
  const std::vector<int32_t> p2 = Concat({p1_, result->tokens});
  auto next = session.Generate(p2, Greedy(5), nullptr);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->tokens, std::vector<int32_t>(greedy.begin() + 3, greedy.end()));
  EXPECT_EQ(session.last_stats().reused_tokens, static_cast<int>(p1_.size() + 2));
}

TEST(GenerationSessionSliceTest, CancelMidPrefillKeepsTheSlicesDone) {
  auto model = LoadF32("lfm2-check");
  ASSERT_NE(model, nullptr);
  Fixture expected("lfm2-check/expected.safetensors");
  const std::vector<int32_t> base = expected.Ints("case3.input_ids");  // 300 tokens
  std::vector<int32_t> prompt;
  for (int i = 0; i < 4; ++i) prompt.insert(prompt.end(), base.begin(), base.end());  // 2 slices

  GenerationSession session(*model);
  int polls = 0;
  int seen = 0;
  auto result = session.Generate(prompt, Greedy(3), [&](int32_t) { return ++seen, true; },
                                 [&] { return ++polls == 2; });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->cancelled);
  EXPECT_TRUE(result->tokens.empty());
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(session.tokens().size(), 1024u);  // the first slice

  auto resumed = session.Generate(prompt, Greedy(3), nullptr);
  ASSERT_TRUE(resumed.ok());
  EXPECT_FALSE(resumed->cancelled);
  EXPECT_EQ(session.last_stats().reused_tokens, 1024);
  EXPECT_EQ(resumed->tokens, Fresh(*model, prompt, 3));
}

TEST_F(GenerationSessionTest, ErrorsBeforeAnyWork) {
  GenerationSession session(*model_);
  bool polled = false;
  auto empty = session.Generate({}, Greedy(4), nullptr, [&] { return polled = true, false; });
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);

  const int64_t context = model_->config().max_position_embeddings;
  const std::vector<int32_t> too_long(context, p1_[0]);
  auto overflow = session.Generate(too_long, Greedy(4), nullptr, [&] { return polled = true, false; });
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.status().message().find("max_position_embeddings"), std::string::npos) << overflow.status();
  EXPECT_FALSE(polled);
  EXPECT_EQ(session.last_stats().prefilled_tokens, 0);
  EXPECT_TRUE(session.tokens().empty());

  const std::vector<int32_t> bad_id = {1, static_cast<int32_t>(model_->config().vocab_size)};
  EXPECT_FALSE(session.Generate(bad_id, Greedy(4), nullptr).ok());
}

TEST_F(GenerationSessionTest, StopTokenEndsTheTurnAndIsKeptForTheNext) {
  const std::vector<int32_t> greedy = Fresh(*model_, p1_, 8);
  GenerationSettings settings = Greedy(8);
  settings.stop_token_ids = {greedy[2]};
  GenerationSession session(*model_);
  auto result = session.Generate(p1_, settings, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->stopped_on_token);
  EXPECT_EQ(result->tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + 3));
  const std::vector<int32_t> p2 = Concat({p1_, result->tokens, more_});
  auto next = session.Generate(p2, Greedy(4), nullptr);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->tokens, Fresh(*model_, p2, 4));
  EXPECT_EQ(session.last_stats().reused_tokens, static_cast<int>(p1_.size() + 2));
}

// The screened LM head (bf16 heads; encoder/model/screened_head.h) must not
// change what is drawn: greedy and min-p sampling with several seeds and
// penalties give the same tokens with the screen on and off.
TEST(GenerationSessionScreenTest, TheScreenedHeadDrawsTheSameTokensAsTheFullHead) {
  ModelLoadOptions options;
  options.precision = Precision::kBf16;
  auto model = Lfm2Model::Load(TestDataPath("lfm2-tiny"), options);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ((*model)->weights().output_embedding().storage(), WeightStorage::kBf16);
  Fixture expected("lfm2-tiny/expected.safetensors");
  const std::vector<int32_t> prompt = expected.Ints("case2.input_ids");
  std::vector<GenerationSettings> all;
  GenerationSettings greedy = Greedy(24);
  all.push_back(greedy);
  greedy.sampling.repetition_penalty = 1.3f;
  all.push_back(greedy);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    GenerationSettings lfm2;  // LFM2's defaults: T 0.3, min_p 0.15, penalty 1.05
    lfm2.max_new_tokens = 24;
    lfm2.sampling.seed = seed;
    all.push_back(lfm2);
    GenerationSettings wide = lfm2;  // a wide min-p window and top-k
    wide.sampling.temperature = 1.5f;
    wide.sampling.min_p = 0.02f;
    wide.sampling.top_k = 40;
    wide.sampling.repetition_penalty = 1.2f;
    all.push_back(wide);
  }
  int screened = 0;
  for (const GenerationSettings& settings : all) {
    SCOPED_TRACE(::testing::Message() << "greedy " << settings.sampling.greedy << " T "
                                      << settings.sampling.temperature << " seed " << settings.sampling.seed);
    GenerationSettings full = settings;
    full.screen_head = false;
    auto with = Generator(**model).Generate(prompt, settings);
    auto without = Generator(**model).Generate(prompt, full);
    ASSERT_TRUE(with.ok() && without.ok());
    EXPECT_EQ(with->tokens, without->tokens);
    EXPECT_EQ(with->tokens.size(), 24u);
    screened += Sampler(settings.sampling).ScreenFor(prompt).has_value();
  }
  EXPECT_EQ(screened, static_cast<int>(all.size()));  // every case above took the screened path
}

}  // namespace
}  // namespace lateral

#include "encoder/generation/sampler.h"

#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"

namespace lateral {
namespace {

TEST(SamplerTest, GreedyTakesArgmaxAndLowestIndexOnTies) {
  SamplingSettings s;
  s.greedy = true;
  s.repetition_penalty = 1.0f;
  Sampler sampler(s);
  std::vector<float> logits = {0.1f, 3.0f, 3.0f, -1.0f};
  EXPECT_EQ(sampler.Next(absl::MakeSpan(logits), {}), 1);
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplingSettings s;
  s.greedy = true;
  s.repetition_penalty = 2.0f;
  Sampler sampler(s);
  std::vector<float> logits = {2.0f, -2.0f, 1.5f};
  // Token 0 was seen: 2.0 / 2 = 1.0 < 1.5, so token 2 wins; token 1 becomes -4.
  std::vector<int32_t> history = {0, 1, 0};
  EXPECT_EQ(sampler.Next(absl::MakeSpan(logits), history), 2);
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
  EXPECT_FLOAT_EQ(logits[1], -4.0f);
  EXPECT_FLOAT_EQ(logits[2], 1.5f);
}

// Draws many tokens and returns how often each came up.
std::map<int32_t, int> Histogram(const SamplingSettings& s, const std::vector<float>& logits, int draws) {
  Sampler sampler(s);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> copy = logits;
    ++counts[sampler.Next(absl::MakeSpan(copy), {})];
  }
  return counts;
}

TEST(SamplerTest, FiltersCutTheTail) {
  // Probabilities at temperature 1: softmax of log([0.5, 0.3, 0.15, 0.05]).
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplingSettings s;
  s.temperature = 1.0f;
  s.repetition_penalty = 1.0f;
  s.min_p = 0.0f;

  s.top_k = 2;
  auto counts = Histogram(s, logits, 4000);
  EXPECT_EQ(counts.count(2) + counts.count(3), 0u);
  // 0.5 / 0.8 of the mass goes to token 0.
  EXPECT_NEAR(counts[0] / 4000.0, 0.625, 0.03);

  s.top_k = 0;
  s.top_p = 0.7f;  // 0.5 < 0.7 <= 0.8: tokens 0 and 1
  counts = Histogram(s, logits, 2000);
  EXPECT_EQ(counts.count(2) + counts.count(3), 0u);
  EXPECT_GT(counts[1], 0);

  s.top_p = 1.0f;
  s.min_p = 0.25f;  // floor 0.125: tokens 0, 1, 2
  counts = Histogram(s, logits, 4000);
  EXPECT_EQ(counts.count(3), 0u);
  EXPECT_GT(counts[2], 0);
  EXPECT_NEAR(counts[2] / 4000.0, 0.15 / 0.95, 0.03);
}

TEST(SamplerTest, SameSeedSameDraws) {
  const std::vector<float> logits = {0.0f, 0.1f, 0.2f, 0.3f, 0.4f};
  SamplingSettings s;
  s.temperature = 1.0f;
  s.min_p = 0;
  s.seed = 99;
  Sampler a(s), b(s);
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> x = logits, y = logits;
    int32_t ta = a.Next(absl::MakeSpan(x), {}), tb = b.Next(absl::MakeSpan(y), {});
    ASSERT_EQ(ta, tb);
    seen.insert(ta);
  }
  EXPECT_GT(seen.size(), 2u) << "sampling at temperature 1 must vary";
}

// Next sorts only the tokens min-p can keep; NextBySortingAll sorts the whole
// vocabulary. For the same seed they must draw the same tokens, whatever the
// combination of filters, with a vocabulary the size of LFM2's and logits
// spread like a language model's (a few strong candidates, a long tail).
TEST(SamplerTest, MinPShortcutDrawsWhatSortingEverythingDraws) {
  std::mt19937_64 gen(7);
  std::normal_distribution<float> normal(0.0f, 2.5f);
  const int vocab = 65536;
  std::vector<int32_t> history = {5, 17, 17, 900, 65535};
  int settings_tried = 0;
  for (float temperature : {0.3f, 1.0f}) {
    for (float min_p : {0.15f, 0.02f, 0.0f}) {
      for (float top_p : {1.0f, 0.9f}) {
        for (int top_k : {0, 40}) {
          SamplingSettings s;
          s.temperature = temperature;
          s.min_p = min_p;
          s.top_p = top_p;
          s.top_k = top_k;
          s.repetition_penalty = 1.05f;
          s.seed = 1234 + settings_tried++;
          Sampler fast(s), oracle(s);
          std::set<int32_t> seen;
          for (int draw = 0; draw < 25; ++draw) {
            std::vector<float> logits(vocab);
            for (float& l : logits) l = normal(gen);
            // Strong candidates, closely spaced so that many sit near min-p's cut.
            for (int i = 0; i < 60; ++i) logits[(draw * 977 + i * 131) % vocab] = 12.0f - 0.05f * i;
            std::vector<float> copy = logits;
            const int32_t a = fast.Next(absl::MakeSpan(logits), history);
            const int32_t b = oracle.NextBySortingAll(absl::MakeSpan(copy), history);
            ASSERT_EQ(a, b) << "temperature " << temperature << " min_p " << min_p << " top_p " << top_p
                            << " top_k " << top_k << " draw " << draw;
            seen.insert(a);
          }
          EXPECT_GT(seen.size(), 1u) << "the draws must vary for the comparison to mean something";
        }
      }
    }
  }
}

}  // namespace
}  // namespace lateral

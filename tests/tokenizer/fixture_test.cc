// Every reference encoding of the LFM2-like fixture, through the public
// Tokenizer interface (fast splitter) and through the ICU-regex reference path.

#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "encoder/tokenizer/tokenizer.h"
#include "encoder/tokenizer/tokenizer_json.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/fixture_cases.h"

namespace lateral {
namespace {

using ::lateral::testing::FixtureCase;
using ::lateral::testing::FormatIds;
using ::lateral::testing::LoadFixtureCases;
using ::lateral::testing::Lfm2LikeDir;

constexpr size_t kFixtureCases = 14313;
constexpr int kShownMismatches = 5;

// Encodes and decodes every case; returns a report of the mismatches (empty
// when all match) and counts them in *mismatches.
std::string CheckAllCases(const Tokenizer& tokenizer, const std::vector<FixtureCase>& cases,
                          int* mismatches) {
  std::string report;
  *mismatches = 0;
  for (const FixtureCase& c : cases) {
    std::string problem;
    absl::StatusOr<std::vector<int32_t>> ids = tokenizer.Encode(c.text, false);
    absl::StatusOr<std::vector<int32_t>> with_bos = tokenizer.Encode(c.text, true);
    if (!ids.ok() || !with_bos.ok()) {
      problem = "encode failed: " + std::string((ids.ok() ? with_bos : ids).status().message());
    } else if (*ids != c.ids) {
      problem = "ids " + FormatIds(*ids) + "\n      expected " + FormatIds(c.ids);
    } else if (*with_bos != c.ids_with_bos) {
      problem = "ids_with_bos " + FormatIds(*with_bos) + "\n      expected " +
                FormatIds(c.ids_with_bos);
    } else if (std::string decoded = tokenizer.Decode(c.ids, false); decoded != c.decoded) {
      problem = "decoded \"" + decoded + "\"\n      expected \"" + c.decoded + "\"";
    }
    if (problem.empty()) continue;
    if (++*mismatches <= kShownMismatches) {
      report += "  line " + std::to_string(c.line) + " \"" + c.text.substr(0, 120) + "\": " +
                problem + "\n";
    }
  }
  return report;
}

TEST(Lfm2LikeFixtureTest, EveryCaseMatchesTheReference) {
  const std::vector<FixtureCase> cases = LoadFixtureCases();
  ASSERT_EQ(cases.size(), kFixtureCases);
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::FromDirectory(Lfm2LikeDir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  int mismatches = 0;
  const std::string report = CheckAllCases(**tokenizer, cases, &mismatches);
  std::cout << "[ fixture  ] " << cases.size() - mismatches << " of " << cases.size()
            << " cases match (ids, ids_with_bos, decoded)\n";
  EXPECT_EQ(mismatches, 0) << mismatches << " mismatching cases; the first ones:\n" << report;
}

TEST(Lfm2LikeFixtureTest, IcuRegexPathWithoutCacheMatchesTheReference) {
  const std::vector<FixtureCase> cases = LoadFixtureCases();
  ASSERT_EQ(cases.size(), kFixtureCases);
  tok::TokenizerJsonOptions options;
  options.force_icu_regex = true;
  options.cache_capacity = 0;
  auto tokenizer = tok::LoadHfTokenizer(Lfm2LikeDir() + "/tokenizer.json",
                                        Lfm2LikeDir() + "/tokenizer_config.json", options);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  int mismatches = 0;
  const std::string report = CheckAllCases(**tokenizer, cases, &mismatches);
  EXPECT_EQ(mismatches, 0) << mismatches << " mismatching cases; the first ones:\n" << report;
}

TEST(Lfm2LikeFixtureTest, SpecialTokenIdsComeFromTheConfig) {
  auto tokenizer = Tokenizer::FromDirectory(Lfm2LikeDir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const Tokenizer& t = **tokenizer;
  // tokenizer_config.json: bos <|startoftext|>, eos <|im_end|>, pad <|pad|>;
  // tokenizer.json's added_tokens give their ids.
  EXPECT_EQ(t.BosId(), 1);
  EXPECT_EQ(t.EosId(), 7);
  EXPECT_EQ(t.PadId(), 0);
  EXPECT_EQ(t.TokenToId("<|im_start|>"), 6);
  EXPECT_EQ(t.TokenToId("[Q] "), 16384);
  EXPECT_EQ(t.TokenToId("[D] "), 16385);
  EXPECT_EQ(t.IdToToken(16385), "[D] ");
  EXPECT_EQ(t.TokenToId("no such token"), std::nullopt);
  EXPECT_EQ(t.IdToToken(16386), std::nullopt);
  EXPECT_EQ(t.VocabSize(), 16386);
  EXPECT_TRUE(t.IsSpecial(1));
  EXPECT_TRUE(t.IsSpecial(13));
  EXPECT_FALSE(t.IsSpecial(16384));  // "[Q] " is added but not special
  EXPECT_FALSE(t.IsSpecial(100));
}

TEST(Lfm2LikeFixtureTest, SkipSpecialTokensDropsOnlySpecialTokens) {
  auto tokenizer = Tokenizer::FromDirectory(Lfm2LikeDir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const std::string text = "<|im_start|>user\n[Q] hi<|im_end|>";
  absl::StatusOr<std::vector<int32_t>> ids = (*tokenizer)->Encode(text, true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*tokenizer)->Decode(*ids, false), "<|startoftext|>" + text);
  EXPECT_EQ((*tokenizer)->Decode(*ids, true), "user\n[Q] hi");
}

TEST(Lfm2LikeFixtureTest, ConcurrentEncodesGiveTheReferenceIds) {
  const std::vector<FixtureCase> cases = LoadFixtureCases();
  ASSERT_EQ(cases.size(), kFixtureCases);
  auto tokenizer = Tokenizer::FromDirectory(Lfm2LikeDir());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  constexpr int kThreads = 4;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread walks the cases from a different start so that they race
      // on the same cache entries.
      for (size_t k = 0; k < cases.size(); ++k) {
        const FixtureCase& c = cases[(k + t * cases.size() / kThreads) % cases.size()];
        auto ids = (*tokenizer)->Encode(c.text, false);
        if (!ids.ok() || *ids != c.ids) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace lateral

// The hand-written LLaMA-3 splitter against ICU's regex engine on the same
// pattern: identical matches on every fixture text and on random strings
// mixing scripts, white-space kinds, digits, apostrophes, emoji and combining
// marks. Also the behaviours of the Split pre-tokenizer.

#include <random>
#include <string>
#include <vector>

#include "encoder/tokenizer/llama3_splitter.h"
#include "encoder/tokenizer/pretokenizer.h"
#include "encoder/tokenizer/regex_splitter.h"
#include "encoder/tokenizer/utf8.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/fixture_cases.h"

namespace lateral::tok {
namespace {

using Matches = std::vector<MatchRange>;

std::string Describe(std::string_view text, const Matches& matches) {
  std::string out;
  for (const MatchRange& m : matches) {
    out += "[" + std::string(text.substr(m.begin, m.end - m.begin)) + "]";
  }
  return out;
}

class SplitterPairTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    Llama3SplitterOptions options;
    options.max_digits = GetParam();
    fast_ = NewLlama3Splitter(options);
    auto icu = NewIcuRegexSplitter(Llama3Pattern(options));
    ASSERT_TRUE(icu.ok()) << icu.status();
    icu_ = std::move(*icu);
  }

  // Empty string when both agree, else a description of the difference.
  std::string Compare(std::string_view text) const {
    Matches fast, icu;
    EXPECT_TRUE(fast_->FindMatches(text, &fast).ok());
    EXPECT_TRUE(icu_->FindMatches(text, &icu).ok());
    bool same = fast.size() == icu.size();
    for (size_t i = 0; same && i < fast.size(); ++i) {
      same = fast[i].begin == icu[i].begin && fast[i].end == icu[i].end;
    }
    if (same) return std::string();
    return "fast " + Describe(text, fast) + "\n icu " + Describe(text, icu);
  }

  std::unique_ptr<Splitter> fast_;
  std::unique_ptr<Splitter> icu_;
};

TEST_P(SplitterPairTest, IdenticalOnEveryFixtureText) {
  const std::vector<testing::FixtureCase> cases = testing::LoadFixtureCases();
  ASSERT_FALSE(cases.empty());
  int differences = 0;
  for (const testing::FixtureCase& c : cases) {
    const std::string diff = Compare(c.text);
    if (!diff.empty() && ++differences <= 5) ADD_FAILURE() << "line " << c.line << ":\n" << diff;
  }
  EXPECT_EQ(differences, 0);
}

// Building blocks for random strings; each is valid UTF-8.
const std::vector<std::string>& Atoms() {
  static const auto* atoms = new std::vector<std::string>{
      // ASCII words, case and apostrophes (the contraction alternative).
      "a", "Z", "word", "Hello", "'", "'s", "'S", "'t", "'re", "'RE", "'Ve", "'m", "'ll", "'LL",
      "'d", "'D", "'x", "\xC5\xBF" /* ſ folds to s */, "''", "'1",
      // Digits: ASCII, Arabic-Indic, fullwidth, superscript (No), Roman (Nl), circled.
      "0", "7", "12345", "\xD9\xA3", "\xEF\xBC\x91", "\xC2\xB2", "\xE2\x85\xAB", "\xE2\x91\xA0",
      // White space of many kinds.
      " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\x0B", "\x0C", "\xC2\x85", "\xC2\xA0",
      "\xE1\x9A\x80", "\xE2\x80\x83", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE3\x80\x80",
      // Non-space look-alikes: zero-width space, BOM, Mongolian vowel separator.
      "\xE2\x80\x8B", "\xEF\xBB\xBF", "\xE1\xA0\x8E",
      // Punctuation and symbols.
      ".", ",", "!", "?", "-", "_", "(", ")", "#", "$", "\xE2\x80\x94", "\xE2\x80\xA6",
      "\xC2\xBF", "\xE3\x80\x82", "\xEF\xBC\x8C", "\xE2\x82\xAC", "+", "=", "<", ">",
      // Letters of other scripts.
      "\xE4\xB8\xAD\xE6\x96\x87", "\xE6\x97\xA5\xE6\x9C\xAC", "\xE3\x81\xB2\xE3\x82\x89",
      "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9", "\xD0\x81\xD0\xB6",
      "\xCE\x95\xCE\xBB", "\xED\x95\x9C\xEA\xB5\xAD", "\xE0\xB8\xA0\xE0\xB8\xB2\xE0\xB8\xA9",
      // Devanagari with combining marks (Mc, Mn are not \p{L}).
      "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80",
      // Combining marks alone and after letters.
      "\xCC\x81", "e\xCC\x81", "\xD9\x8E",
      // Emoji: plain, skin tone, ZWJ family, flag, keycap, variation selector.
      "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
      "1\xEF\xB8\x8F\xE2\x83\xA3", "\xE2\x9D\xA4\xEF\xB8\x8F",
      // Supplementary-plane letters and digits (math alphanumerics).
      "\xF0\x9D\x94\x98", "\xF0\x9D\x9F\x99",
      // Controls.
      std::string(1, '\0'), "\x07", "\x7F", "\xC2\x80",
  };
  return *atoms;
}

TEST_P(SplitterPairTest, IdenticalOnRandomMixedStrings) {
  std::mt19937 rng(20241126 + GetParam());
  const auto& atoms = Atoms();
  std::uniform_int_distribution<size_t> pick(0, atoms.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  int differences = 0;
  constexpr int kStrings = 5000;
  for (int s = 0; s < kStrings; ++s) {
    std::string text;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) text += atoms[pick(rng)];
    ASSERT_FALSE(FindInvalidUtf8(text).has_value());
    const std::string diff = Compare(text);
    if (!diff.empty() && ++differences <= 5) ADD_FAILURE() << "\"" << text << "\":\n" << diff;
  }
  EXPECT_EQ(differences, 0) << "of " << kStrings;
}

TEST_P(SplitterPairTest, IdenticalOnAdversarialStrings) {
  const std::vector<std::string> texts = {
      "", " ", "  ", "\n", " \n ", "\n \n", "a  b", "a \n b", " \t\n\r\n  x", "   ",
      "x   ", "x\n\n\n  ", "'s's's", "''s", "'S'T'RE", "I'd've", "can'\xC5\xBF",
      std::string(300, 'a'), std::string(300, ' '), std::string(100, '\n') + "a",
      "1234567890", " 123", "a1b2c3", "...\n\n", " ...\r\n", "?!\xE2\x80\xA6\n",
      "\xC2\xA0word", "\xE3\x80\x80word", "\t\tword", "\n word", "\r\nword",
      "\xCC\x81word", "e\xCC\x81\xCC\x81", "\xE2\x80\x8Bword",
  };
  for (const std::string& text : texts) {
    EXPECT_EQ(Compare(text), "") << "\"" << text << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Digits, SplitterPairTest, ::testing::Values(3, 1));

TEST(Llama3PatternTest, RecognizesOnlyTheExactPatterns) {
  const std::string llama3 =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
      "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  ASSERT_TRUE(RecognizeLlama3Pattern(llama3).has_value());
  EXPECT_EQ(RecognizeLlama3Pattern(llama3)->max_digits, 3);
  EXPECT_FALSE(RecognizeLlama3Pattern(llama3 + "|x").has_value());
  EXPECT_FALSE(RecognizeLlama3Pattern("\\s+").has_value());
}

// ---- Split behaviours, on "a-b--c" split at "-" (expected values follow the
// definitions of tokenizers' SplitDelimiterBehavior).

std::vector<std::string> RunSplit(SplitBehavior behavior, bool invert, std::string_view text) {
  PreTokenizer pre_tokenizer;
  pre_tokenizer.AddSplit(NewLiteralSplitter("-"), behavior, invert);
  PieceArena arena;
  std::vector<std::string_view> pieces;
  EXPECT_TRUE(pre_tokenizer.Run(text, &arena, &pieces).ok());
  return std::vector<std::string>(pieces.begin(), pieces.end());
}

using Pieces = std::vector<std::string>;

TEST(SplitBehaviorTest, EachBehavior) {
  EXPECT_EQ(RunSplit(SplitBehavior::kRemoved, false, "a-b--c"), (Pieces{"a", "b", "c"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kIsolated, false, "a-b--c"),
            (Pieces{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kMergedWithPrevious, false, "a-b--c"),
            (Pieces{"a-", "b-", "-", "c"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kMergedWithNext, false, "a-b--c"),
            (Pieces{"a", "-b", "-", "-c"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kContiguous, false, "a-b--c"),
            (Pieces{"a", "-", "b", "--", "c"}));
  // Inverted: the text between dashes is the "match"; the two adjacent
  // dashes stay two separate non-matches.
  EXPECT_EQ(RunSplit(SplitBehavior::kRemoved, true, "a-b--c"), (Pieces{"-", "-", "-"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kMergedWithPrevious, true, "a-b--c"),
            (Pieces{"a", "-b", "-", "-c"}));
  // A leading match has nothing to merge into.
  EXPECT_EQ(RunSplit(SplitBehavior::kMergedWithPrevious, false, "-a"), (Pieces{"-", "a"}));
  EXPECT_EQ(RunSplit(SplitBehavior::kMergedWithNext, false, "a-"), (Pieces{"a", "-"}));
}

TEST(ByteLevelStepTest, PrefixSpaceAndMapping) {
  // ByteLevel not last: its mapping is applied; add_prefix_space adds a space
  // to each piece that lacks one.
  PreTokenizer pre_tokenizer;
  pre_tokenizer.AddSplit(NewLiteralSplitter("|"), SplitBehavior::kRemoved, false);
  pre_tokenizer.AddByteLevel(/*add_prefix_space=*/true, nullptr);
  pre_tokenizer.AddSplit(NewLiteralSplitter("\xC4\xA0"), SplitBehavior::kIsolated, false);
  PieceArena arena;
  std::vector<std::string_view> pieces;
  ASSERT_TRUE(pre_tokenizer.Run("ab| c\n", &arena, &pieces).ok());
  // " ab" -> "Ġab"; " c\n" -> "Ġc" "Ċ" after the mapping; then split at "Ġ".
  EXPECT_EQ(std::vector<std::string>(pieces.begin(), pieces.end()),
            (Pieces{"\xC4\xA0", "ab", "\xC4\xA0", "c\xC4\x8A"}));
  EXPECT_FALSE(pre_tokenizer.defers_byte_level_mapping());
}

}  // namespace
}  // namespace lateral::tok

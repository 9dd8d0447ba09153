// Tests of ingest/text/sentences.h: fixtures whose boundaries are evident from the text, and
// property tests over random multilingual concatenations against an oracle built from how the
// text was assembled.
#include "ingest/text/sentences.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/ingest/text/text_test_util.h"

namespace lateral::ingest {
namespace {

using ::testing::ElementsAre;
using testing_util::IsContinuationByte;
using testing_util::SentencePool;
using testing_util::Separators;
using testing_util::WhitespaceBytes;

std::vector<std::string> Sentences(const std::string& text) {
  std::vector<std::string> out;
  for (const TextSpan& span : SentenceSpans(text)) {
    out.push_back(text.substr(span.begin, span.end - span.begin));
  }
  return out;
}

TEST(SentenceSpans, ChineseAndJapaneseTerminators) {
  EXPECT_THAT(Sentences("一。二！三？"), ElementsAre("一。", "二！", "三？"));
  EXPECT_THAT(Sentences("今日は晴れです。明日は雨でしょう！本当？"),
              ElementsAre("今日は晴れです。", "明日は雨でしょう！", "本当？"));
}

TEST(SentenceSpans, ThaiIsSplitAtSpaces) {
  EXPECT_THAT(Sentences("สวัสดีครับ วันนี้อากาศดี  ฉันจะไปตลาด"),
              ElementsAre("สวัสดีครับ", "วันนี้อากาศดี", "ฉันจะไปตลาด"));
  // A space between Thai and a number is not a sentence break.
  EXPECT_THAT(Sentences("ราคา 100 บาท"), ElementsAre("ราคา 100 บาท"));
}

TEST(SentenceSpans, DevanagariDanda) {
  EXPECT_THAT(Sentences("यह पहला वाक्य है। यह दूसरा वाक्य है। क्या यह तीसरा है?"),
              ElementsAre("यह पहला वाक्य है।", "यह दूसरा वाक्य है।", "क्या यह तीसरा है?"));
}

TEST(SentenceSpans, ArabicScript) {
  EXPECT_THAT(Sentences("مرحبا بكم. كيف حالكم؟ أنا بخير."),
              ElementsAre("مرحبا بكم.", "كيف حالكم؟", "أنا بخير."));
}

TEST(SentenceSpans, EnglishAbbreviationsDoNotEndSentences) {
  EXPECT_THAT(Sentences("Yesterday I met Dr. Smith and Mr. Jones. They were fine! Were they?"),
              ElementsAre("Yesterday I met Dr. Smith and Mr. Jones.", "They were fine!",
                          "Were they?"));
  // Abbreviations are whole words: "noon." is not the abbreviation "on." (Italian) and a
  // sentence may end with "on." itself.
  EXPECT_THAT(Sentences("We met at noon. Then he turned it on. Nothing happened."),
              ElementsAre("We met at noon.", "Then he turned it on.", "Nothing happened."));
  EXPECT_THAT(Sentences("Dr. Who is here. Prof. Smith too."),
              ElementsAre("Dr. Who is here.", "Prof. Smith too."));
}

TEST(SentenceSpans, LineBreaksEndSentencesAndWhitespaceIsLeftOut) {
  EXPECT_THAT(Sentences("  # Title\n\nFirst sentence. Second one\r\nthird line  \n"),
              ElementsAre("# Title", "First sentence.", "Second one", "third line"));
  EXPECT_TRUE(SentenceSpans("").empty());
  EXPECT_TRUE(SentenceSpans(" \n\t\r\n\xE3\x80\x80\xC2\xA0 ").empty());
  EXPECT_THAT(Sentences("no terminator"), ElementsAre("no terminator"));
}

// Checks the documented guarantees of SentenceSpans on `text`.
void CheckInvariants(const std::string& text, const std::vector<TextSpan>& spans) {
  const std::vector<bool> ws = WhitespaceBytes(text);
  std::vector<bool> covered(text.size(), false);
  size_t previous_end = 0;
  for (const TextSpan& span : spans) {
    ASSERT_LT(span.begin, span.end);
    ASSERT_LE(span.end, text.size());
    ASSERT_GE(span.begin, previous_end) << "spans overlap or are out of order";
    ASSERT_FALSE(IsContinuationByte(text, span.begin));
    ASSERT_FALSE(IsContinuationByte(text, span.end));
    ASSERT_FALSE(ws[span.begin]) << "span starts with whitespace";
    ASSERT_FALSE(ws[span.end - 1]) << "span ends with whitespace";
    for (size_t i = span.begin; i < span.end; ++i) covered[i] = true;
    previous_end = span.end;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    ASSERT_TRUE(covered[i] || ws[i]) << "non-whitespace byte " << i << " not covered";
  }
}

TEST(SentenceSpans, RandomMultilingualConcatenationsMatchOracle) {
  std::mt19937 rng(42);
  const auto& pool = SentencePool();
  const auto& separators = Separators();
  for (int trial = 0; trial < 300; ++trial) {
    // Assemble the text, remembering where each pool sentence lies and which joins must be
    // sentence boundaries: after a terminator, or between two Thai sentences.
    std::string text;
    std::vector<TextSpan> expected;
    const int n = 1 + rng() % 12;
    bool previous_thai = false;
    if (rng() % 2) text += separators[rng() % separators.size()];
    for (int k = 0; k < n; ++k) {
      const auto& sentence = pool[rng() % pool.size()];
      const std::string separator = separators[rng() % separators.size()];
      if (k > 0) text += separator;
      const size_t begin = text.size();
      text += sentence.text;
      const bool boundary = k == 0 || !previous_thai || sentence.thai ||
                            separator.find('\n') != std::string::npos;
      if (boundary) {
        expected.push_back({begin, text.size()});
      } else {
        expected.back().end = text.size();
      }
      previous_thai = sentence.thai;
    }
    if (rng() % 2) text += separators[rng() % separators.size()];
    const std::vector<TextSpan> spans = SentenceSpans(text);
    SCOPED_TRACE(text);
    CheckInvariants(text, spans);
    ASSERT_EQ(spans.size(), expected.size()) << testing::PrintToString(Sentences(text));
    for (size_t i = 0; i < spans.size(); ++i) {
      EXPECT_EQ(spans[i].begin, expected[i].begin) << "sentence " << i;
      EXPECT_EQ(spans[i].end, expected[i].end) << "sentence " << i;
    }
  }
}

TEST(SentenceSpans, InvariantsHoldOnRandomCodePointSoup) {
  // Arbitrary mixes of letters, marks, terminators, spaces and line breaks from many scripts:
  // no oracle for the boundaries, only the guarantees.
  const std::vector<std::string> atoms = {
      "a", "Z", ".", "!", "?", " ", "\n", "\r\n", "\t", "。", "！", "中", "ก", "ั", " ", "।",
      "क", "ि", "؟", "ب", "\xE3\x80\x80", "\xC2\xA0", "\xE2\x80\xA8", "😀", "\xCC\x81", "\"",
      ")", "1", "Dr.", "ไทย", "e.g."};
  std::mt19937 rng(5);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text;
    const int n = rng() % 40;
    for (int k = 0; k < n; ++k) text += atoms[rng() % atoms.size()];
    SCOPED_TRACE(testing::PrintToString(text));
    CheckInvariants(text, SentenceSpans(text));
  }
}

TEST(TrimWhitespace, RemovesUnicodeWhitespaceOnly) {
  const std::string text = "\xE3\x80\x80 \xC2\xA0x y\xE2\x80\xA8\n";
  const TextSpan trimmed = TrimWhitespace(text, {0, text.size()});
  EXPECT_EQ(text.substr(trimmed.begin, trimmed.end - trimmed.begin), "x y");
  const TextSpan empty = TrimWhitespace(" \n ", {0, 3});
  EXPECT_EQ(empty.begin, empty.end);
}

}  // namespace
}  // namespace lateral::ingest

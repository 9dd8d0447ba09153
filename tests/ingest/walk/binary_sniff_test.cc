// LooksBinary on hand-made heads (each rule of the documented heuristic) and on random inputs.
#include "ingest/walk/binary_sniff.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace lateral::ingest {
namespace {

std::string Utf16(std::u16string_view s, bool little, bool bom) {
  std::string out;
  auto put = [&](char16_t u) {
    const char hi = static_cast<char>(u >> 8), lo = static_cast<char>(u & 0xFF);
    out += little ? lo : hi;
    out += little ? hi : lo;
  };
  if (bom) put(0xFEFF);
  for (char16_t u : s) put(u);
  return out;
}

std::string Utf32(std::u32string_view s, bool little) {
  std::string out;
  for (char32_t u : std::u32string(U"\uFEFF") + std::u32string(s)) {
    for (int b = 0; b < 4; ++b) {
      const int shift = little ? 8 * b : 8 * (3 - b);
      out += static_cast<char>((u >> shift) & 0xFF);
    }
  }
  return out;
}

TEST(BinarySniffTest, PlainText) {
  EXPECT_EQ(kSniffBytes, 8192u);
  EXPECT_FALSE(LooksBinary(""));
  EXPECT_FALSE(LooksBinary("hello world\n\tindented\r\nform\ffeed\vtab"));
  EXPECT_FALSE(LooksBinary("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"));  // UTF-8
  EXPECT_FALSE(LooksBinary("caf\xE9 na\xEFve"));                       // Latin-1
  EXPECT_FALSE(LooksBinary("\xEF\xBB\xBFwith a UTF-8 BOM"));
  EXPECT_FALSE(LooksBinary("\x1B[31mred\x1B[0m log line\n"));  // ANSI colours
}

TEST(BinarySniffTest, NulOrManyControlBytes) {
  EXPECT_TRUE(LooksBinary(std::string("text with one \0 NUL", 19)));
  EXPECT_TRUE(LooksBinary("\x89PNG\r\n\x1A\n\x01\x02\x03\x04\x05\x06"));
  // The 10% threshold: 11 control bytes in 100 is binary, 9 in 100 is not.
  std::string over(89, 'a'), under(91, 'a');
  over += std::string(11, '\x01');
  under += std::string(9, '\x02');
  EXPECT_TRUE(LooksBinary(over));
  EXPECT_FALSE(LooksBinary(under));
  EXPECT_TRUE(LooksBinary(std::string(50, '\x7F')));
}

TEST(BinarySniffTest, Utf16WithBomIsText) {
  const std::u16string text = u"Hello, w\u00F6rld \u65E5\u672C \U0001F600 end\n";
  EXPECT_FALSE(LooksBinary(Utf16(text, true, true)));
  EXPECT_FALSE(LooksBinary(Utf16(text, false, true)));
  // Without a BOM the NUL high bytes make it binary.
  EXPECT_TRUE(LooksBinary(Utf16(text, true, false)));
  // A head cut in the middle of a code unit or of a surrogate pair is still text.
  std::string cut = Utf16(u"abc", true, true) + "a";
  EXPECT_FALSE(LooksBinary(cut));
  EXPECT_FALSE(LooksBinary(Utf16(u"abc\xD83D", true, true)));
  // A lone low surrogate, or a high one followed by a non-surrogate: not UTF-16 text.
  EXPECT_TRUE(LooksBinary(Utf16(u"ab\xDC00 cd", true, true)));
  EXPECT_TRUE(LooksBinary(Utf16(u"ab\xD83D cd", false, true)));
  // BOM then control-code soup.
  EXPECT_TRUE(LooksBinary(Utf16(std::u16string(40, u'\x0001'), true, true)));
}

TEST(BinarySniffTest, Utf32WithBomIsText) {
  const std::u32string text = U"Hello \u00E9 \U0001F600\n";
  EXPECT_FALSE(LooksBinary(Utf32(text, true)));
  EXPECT_FALSE(LooksBinary(Utf32(text, false)));
  EXPECT_TRUE(LooksBinary(Utf32(std::u32string(1, char32_t{0x110000}), true)));
  EXPECT_TRUE(LooksBinary(Utf32(std::u32string(1, char32_t{0xD800}), false)));
}

TEST(BinarySniffTest, RandomInputs) {
  std::mt19937 rng(7);
  const std::string printable =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()[]{}\n\t-";
  for (int i = 0; i < 200; ++i) {
    std::string text, noise;
    for (size_t k = 0; k < kSniffBytes; ++k) {
      text += printable[rng() % printable.size()];
      noise += static_cast<char>(rng() & 0xFF);
    }
    EXPECT_FALSE(LooksBinary(text));
    EXPECT_TRUE(LooksBinary(noise));  // 8 KiB of random bytes holds a NUL almost surely
  }
}

}  // namespace
}  // namespace lateral::ingest

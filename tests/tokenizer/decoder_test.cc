// UTF-8 handling, the byte-level alphabet, and batch vs streaming decoding.

#include <random>
#include <string>
#include <vector>

#include "encoder/tokenizer/byte_level.h"
#include "encoder/tokenizer/tokenizer.h"
#include "encoder/tokenizer/utf8.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/fixture_cases.h"

namespace lateral {
namespace {

using tok::ByteLevelByteOf;
using tok::ByteLevelCharOf;
using tok::FindInvalidUtf8;
using tok::Utf8Lossy;
using tok::Utf8StreamAssembler;

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, LossyReplacesMaximalSubparts) {
  // The example of the Unicode Standard (chapter 3, "U+FFFD Substitution of
  // Maximal Subparts"): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(Utf8Lossy("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  // Surrogates, overlong forms and code points above U+10FFFF: every byte is
  // its own maximal subpart because the second byte is already out of range.
  EXPECT_EQ(Utf8Lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xC0\x80"), kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xE0\x80\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(Utf8Lossy("\xF5"), kFffd);
  // A truncated character at the end is one replacement.
  EXPECT_EQ(Utf8Lossy("x\xF0\x9F\x98"), "x" + kFffd);
  // Valid text is unchanged.
  EXPECT_EQ(Utf8Lossy("h\xC3\xA9llo \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xF0\x9F\x98\x80");
}

TEST(Utf8Test, FindInvalidUtf8NamesTheFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii text, long enough for the fast path"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("\xE4\xB8\xAD\xE6\x96\x87"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("abc\xFF"), 3u);
  EXPECT_EQ(FindInvalidUtf8("abcdefghijk\x80"), 11u);
  EXPECT_EQ(FindInvalidUtf8("\xE4\xB8"), 0u);  // truncated
  EXPECT_EQ(FindInvalidUtf8("ok\xED\xA0\x80"), 2u);  // surrogate
}

TEST(Utf8Test, StreamingEqualsBatchOnRandomBytes) {
  std::mt19937 rng(7);
  // Bytes biased towards UTF-8 structure so that valid and broken sequences both occur.
  const std::vector<uint8_t> alphabet = {'a', ' ', 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xDF,
                                         0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> chunk(0, 4);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes;
    for (int i = 0; i < 24; ++i) bytes.push_back(static_cast<char>(alphabet[pick(rng)]));
    Utf8StreamAssembler assembler;
    std::string streamed;
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t n = std::min<size_t>(chunk(rng), bytes.size() - pos);
      streamed += assembler.Push(std::string_view(bytes).substr(pos, n));
      pos += n;
    }
    streamed += assembler.Finish();
    ASSERT_EQ(streamed, Utf8Lossy(bytes)) << "trial " << trial;
  }
}

TEST(ByteLevelTest, Gpt2Alphabet) {
  // Printable Latin-1 bytes stand for themselves; the others take U+0100 on,
  // in byte order: 0x00..0x20 are U+0100..U+0120, 0x7F..0xA0 are U+0121..U+0142,
  // and 0xAD is U+0143.
  EXPECT_EQ(ByteLevelCharOf('A'), "A");
  EXPECT_EQ(ByteLevelCharOf(0xE9), "\xC3\xA9");     // é
  EXPECT_EQ(ByteLevelCharOf(0x00), "\xC4\x80");     // U+0100
  EXPECT_EQ(ByteLevelCharOf('\n'), "\xC4\x8A");     // U+010A Ċ
  EXPECT_EQ(ByteLevelCharOf(' '), "\xC4\xA0");      // U+0120 Ġ
  EXPECT_EQ(ByteLevelCharOf(0x7F), "\xC4\xA1");     // U+0121
  EXPECT_EQ(ByteLevelCharOf(0xA0), "\xC5\x82");     // U+0142
  EXPECT_EQ(ByteLevelCharOf(0xAD), "\xC5\x83");     // U+0143 Ń
  for (int b = 0; b < 256; ++b) {
    std::string_view c = ByteLevelCharOf(static_cast<uint8_t>(b));
    int length = 0;
    EXPECT_EQ(ByteLevelByteOf(tok::DecodeUtf8At(c, 0, &length)), b);
  }
  EXPECT_EQ(ByteLevelByteOf(' '), -1);
  EXPECT_EQ(ByteLevelByteOf(0x4E2D), -1);
}

TEST(ByteLevelTest, DecodingATokenOutsideTheAlphabetKeepsItsBytes) {
  std::string out;
  tok::AppendByteLevelDecoded("\xC4\xA0hi", &out);  // "Ġhi"
  EXPECT_EQ(out, " hi");
  out.clear();
  tok::AppendByteLevelDecoded("[Q] ", &out);  // ' ' is not in the alphabet
  EXPECT_EQ(out, "[Q] ");
}

class StreamingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tokenizer = Tokenizer::FromDirectory(testing::Lfm2LikeDir());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
  }
  int32_t ByteId(uint8_t b) const {
    std::optional<int32_t> id = tokenizer_->TokenToId(ByteLevelCharOf(b));
    EXPECT_TRUE(id.has_value()) << "byte " << int{b};
    return id.value_or(-1);
  }
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(StreamingTest, EveryFixtureCaseStreamsToTheBatchDecode) {
  const std::vector<testing::FixtureCase> cases = testing::LoadFixtureCases();
  ASSERT_FALSE(cases.empty());
  int mismatches = 0;
  for (const testing::FixtureCase& c : cases) {
    for (bool skip : {false, true}) {
      const std::vector<int32_t>& ids = skip ? c.ids_with_bos : c.ids;
      auto decoder = tokenizer_->NewStreamingDecoder(skip);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string piece = decoder->Push(id);
        EXPECT_FALSE(FindInvalidUtf8(piece).has_value());
        streamed += piece;
      }
      streamed += decoder->Finish();
      if (streamed != tokenizer_->Decode(ids, skip) || (!skip && streamed != c.decoded)) {
        if (++mismatches <= 5) ADD_FAILURE() << "line " << c.line << ": \"" << streamed << "\"";
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_F(StreamingTest, HoldsBackAMultiByteCharacterUntilComplete) {
  // U+1F600 is F0 9F 98 80; feed it one byte token at a time.
  auto decoder = tokenizer_->NewStreamingDecoder(false);
  EXPECT_EQ(decoder->Push(ByteId('a')), "a");
  EXPECT_EQ(decoder->Push(ByteId(0xF0)), "");
  EXPECT_EQ(decoder->Push(ByteId(0x9F)), "");
  EXPECT_EQ(decoder->Push(ByteId(0x98)), "");
  EXPECT_EQ(decoder->Push(ByteId(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(decoder->Finish(), "");
}

TEST_F(StreamingTest, BrokenSequencesBecomeReplacementCharacters) {
  const std::vector<int32_t> ids = {ByteId(0xF0), ByteId(0x9F), ByteId('a'), ByteId(0xE4)};
  auto decoder = tokenizer_->NewStreamingDecoder(false);
  EXPECT_EQ(decoder->Push(ids[0]), "");
  EXPECT_EQ(decoder->Push(ids[1]), "");
  EXPECT_EQ(decoder->Push(ids[2]), kFffd + "a");  // F0 9F is one maximal subpart
  EXPECT_EQ(decoder->Push(ids[3]), "");
  EXPECT_EQ(decoder->Finish(), kFffd);            // the truncated E4 at the end
  EXPECT_EQ(tokenizer_->Decode(ids, false), kFffd + "a" + kFffd);
}

TEST_F(StreamingTest, SpecialTokensAndUnknownIds) {
  auto decoder = tokenizer_->NewStreamingDecoder(true);
  EXPECT_EQ(decoder->Push(1), "");           // <|startoftext|> skipped
  EXPECT_EQ(decoder->Push(999999), "");      // no such id
  EXPECT_EQ(decoder->Push(16384), "[Q] ");   // added, not special
  auto verbose = tokenizer_->NewStreamingDecoder(false);
  EXPECT_EQ(verbose->Push(7), "<|im_end|>");
  EXPECT_EQ(tokenizer_->Decode({1, 999999, -5, 16384}, false), "<|startoftext|>[Q] ");
}

}  // namespace
}  // namespace lateral

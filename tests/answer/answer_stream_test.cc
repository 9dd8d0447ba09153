// AnswerStream: token-by-token text equals the batch decode up to the first
// stop string (an oracle on the whole text), for multi-byte text whose
// characters span several byte-level tokens; special tokens are not shown.
#include "answer/answer_stream.h"

#include <memory>
#include <string>
#include <vector>

#include "encoder/tokenizer/tokenizer.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral::answer {
namespace {

using testing::TestDataPath;

class AnswerStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { tokenizer_ = std::move(*Tokenizer::FromDirectory(TestDataPath("colbert-tiny"))); }
  static void TearDownTestSuite() { tokenizer_.reset(); }

  // Streams `text`'s tokens; returns everything shown.
  static std::string Stream(const std::vector<int32_t>& ids, std::vector<std::string> stops, bool* stopped) {
    AnswerStream stream(*tokenizer_, std::move(stops));
    std::string shown;
    for (int32_t id : ids) {
      shown += stream.Push(id);
      if (stream.stopped()) break;
    }
    shown += stream.Finish();
    EXPECT_EQ(shown, stream.text());
    *stopped = stream.stopped();
    return shown;
  }

  static inline std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(AnswerStreamTest, MatchesTheOracleForEveryStopString) {
  const std::string text = "Die Brücke öffnete 1937 [1]. 长江流经上海 [2]。🌊 Ende. END here";
  std::vector<int32_t> ids = *tokenizer_->Encode(text, false);
  const std::string decoded = tokenizer_->Decode(ids, true);
  ASSERT_EQ(decoded, text);
  bool stopped = false;
  EXPECT_EQ(Stream(ids, {}, &stopped), text);
  EXPECT_FALSE(stopped);
  // Every substring (on character boundaries) of up to 6 bytes as a stop string.
  int checked = 0;
  for (size_t begin = 0; begin < text.size(); ++begin) {
    if ((static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) continue;
    for (size_t len = 1; len <= 6 && begin + len <= text.size(); ++len) {
      if (begin + len < text.size() && (static_cast<unsigned char>(text[begin + len]) & 0xC0) == 0x80) continue;
      const std::string stop = text.substr(begin, len);
      const std::string expected = text.substr(0, text.find(stop));
      EXPECT_EQ(Stream(ids, {stop, "never seen"}, &stopped), expected) << "stop \"" << stop << "\"";
      EXPECT_TRUE(stopped);
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
}

TEST_F(AnswerStreamTest, SpecialTokensAreNotShown) {
  std::vector<int32_t> ids = *tokenizer_->Encode("Yes [1].", false);
  ids.push_back(*tokenizer_->TokenToId("<|im_end|>"));
  bool stopped = false;
  EXPECT_EQ(Stream(ids, {}, &stopped), "Yes [1].");
}

}  // namespace
}  // namespace lateral::answer

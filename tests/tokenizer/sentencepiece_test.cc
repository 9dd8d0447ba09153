// The SentencePiece path: a tiny model trained by the test itself, loaded
// through Tokenizer::FromDirectory (no tokenizer.json there), round-tripped.

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "encoder/tokenizer/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/sentencepiece_training.h"

namespace lateral {
namespace {

const std::vector<std::string>& TrainingLines() {
  static const auto* lines = new std::vector<std::string>{
      "the quick brown fox jumps over the lazy dog",
      "late interaction scores every query token against every document token",
      "la interacci\xC3\xB3n tard\xC3\xAD" "a compara cada token",
      "\xE6\x99\x9A\xE6\x9C\x9F\xE4\xBA\xA4\xE4\xBA\x92\xE6\xA8\xA1\xE5\x9E\x8B",
      "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80",
      "numbers 12345 and 3.14159 in a sentence",
  };
  return *lines;
}

class SentencePieceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One directory per process: ctest may run the cases of this suite in parallel.
    dir_ = new std::string(::testing::TempDir() + "/lateral_sentencepiece_" +
                           std::to_string(::getpid()));
    ASSERT_EQ(std::system(("rm -rf '" + *dir_ + "' && mkdir -p '" + *dir_ + "'").c_str()), 0);
    const std::string corpus = *dir_ + "/corpus.txt";
    {
      std::ofstream out(corpus);
      for (int repeat = 0; repeat < 20; ++repeat) {
        for (const std::string& line : TrainingLines()) out << line << "\n";
      }
    }
    // identity normalization and kept white space make Decode(Encode(x)) == x;
    // byte_fallback covers characters the corpus never had.
    const std::string args = "--input=" + corpus + " --model_prefix=" + *dir_ +
                             "/tokenizer --vocab_size=400 --model_type=bpe"
                             " --character_coverage=1.0 --byte_fallback=true"
                             " --normalization_rule_name=identity"
                             " --remove_extra_whitespaces=false --hard_vocab_limit=false"
                             " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 --minloglevel=2";
    std::string error;
    ASSERT_TRUE(testing::TrainSentencePiece(args, &error)) << error;
  }
  static void TearDownTestSuite() {
    std::system(("rm -rf '" + *dir_ + "'").c_str());
    delete dir_;
  }

  void SetUp() override {
    auto tokenizer = Tokenizer::FromDirectory(*dir_);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = std::move(*tokenizer);
  }

  static std::string* dir_;
  std::unique_ptr<Tokenizer> tokenizer_;
};
std::string* SentencePieceTest::dir_ = nullptr;

const std::vector<std::string>& RoundTripTexts() {
  static const auto* texts = new std::vector<std::string>{
      "the lazy fox", "  two leading spaces", "trailing  ", "tabs\tand\nnew lines",
      "emoji \xF0\x9F\x98\x80 and \xE2\x9D\xA4\xEF\xB8\x8F never seen in training",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "12345 + 678", ""};
  return *texts;
}

TEST_F(SentencePieceTest, RoundTripsText) {
  for (const std::string& text : RoundTripTexts()) {
    auto ids = tokenizer_->Encode(text, false);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(tokenizer_->Decode(*ids, false), text);
    EXPECT_EQ(tokenizer_->Decode(*ids, true), text);
  }
}

TEST_F(SentencePieceTest, SpecialTokens) {
  EXPECT_EQ(tokenizer_->BosId(), 1);
  EXPECT_EQ(tokenizer_->EosId(), 2);
  EXPECT_EQ(tokenizer_->PadId(), 3);
  EXPECT_EQ(tokenizer_->IdToToken(1), "<s>");
  EXPECT_EQ(tokenizer_->TokenToId("</s>"), 2);
  EXPECT_EQ(tokenizer_->TokenToId("no such piece"), std::nullopt);
  EXPECT_TRUE(tokenizer_->IsSpecial(1));
  EXPECT_FALSE(tokenizer_->IsSpecial(tokenizer_->VocabSize() - 1));
  auto plain = tokenizer_->Encode("the fox", false);
  auto with_bos = tokenizer_->Encode("the fox", true);
  ASSERT_TRUE(plain.ok() && with_bos.ok());
  std::vector<int32_t> expected = {1};
  expected.insert(expected.end(), plain->begin(), plain->end());
  EXPECT_EQ(*with_bos, expected);
  EXPECT_EQ(tokenizer_->Decode(*with_bos, true), "the fox");
  EXPECT_EQ(tokenizer_->Decode(*with_bos, false), "<s>the fox");
}

TEST_F(SentencePieceTest, StreamingEqualsBatch) {
  for (const std::string& text : RoundTripTexts()) {
    auto ids = tokenizer_->Encode(text, true);
    ASSERT_TRUE(ids.ok());
    for (bool skip : {true, false}) {
      auto decoder = tokenizer_->NewStreamingDecoder(skip);
      std::string streamed;
      for (int32_t id : *ids) streamed += decoder->Push(id);
      streamed += decoder->Finish();
      EXPECT_EQ(streamed, tokenizer_->Decode(*ids, skip)) << text;
    }
  }
}

TEST_F(SentencePieceTest, InvalidUtf8IsRejected) {
  auto ids = tokenizer_->Encode("ok\xC3", false);
  ASSERT_FALSE(ids.ok());
  EXPECT_THAT(std::string(ids.status().message()), ::testing::HasSubstr("offset 2"));
}

TEST(SentencePieceLoadTest, CorruptModelIsAnError) {
  const std::string dir = ::testing::TempDir() + "/lateral_sentencepiece_corrupt";
  ASSERT_EQ(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()), 0);
  std::ofstream(dir + "/tokenizer.model") << "this is not a protobuf";
  auto tokenizer = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_THAT(std::string(tokenizer.status().message()),
              ::testing::HasSubstr(dir + "/tokenizer.model"));
}

}  // namespace
}  // namespace lateral

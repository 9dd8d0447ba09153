// Malformed inputs: every failure is an absl::Status naming the file and the
// field, never a crash or an exception.

#include <cstdio>
#include <fstream>
#include <string>

#include "encoder/tokenizer/tokenizer.h"
#include "encoder/tokenizer/tokenizer_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tokenizer/fixture_cases.h"
#include "tests/tokenizer/tokenizer_json_builder.h"

namespace lateral {
namespace {

using ::lateral::testing::Build;
using ::lateral::testing::JsonDoc;
using ::lateral::testing::MinimalTokenizerJson;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// A fresh directory under the test's temporary directory.
std::string MakeDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/lateral_tokenizer_" + name;
  std::string command = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  EXPECT_EQ(std::system(command.c_str()), 0);
  return dir;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

TEST(LoadErrorsTest, MissingFilesAreNotFound) {
  const std::string dir = MakeDir("empty");
  auto t = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(t.status()), AllOf(HasSubstr("tokenizer.json"), HasSubstr(dir)));

  auto direct = LoadTokenizerJson(dir + "/tokenizer.json", "");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(direct.status()), HasSubstr(dir + "/tokenizer.json"));

  auto no_config = LoadTokenizerJson(testing::Lfm2LikeDir() + "/tokenizer.json",
                                     dir + "/tokenizer_config.json");
  ASSERT_FALSE(no_config.ok());
  EXPECT_THAT(Message(no_config.status()), HasSubstr("tokenizer_config.json"));
}

TEST(LoadErrorsTest, BadJsonNamesTheFile) {
  const std::string dir = MakeDir("bad_json");
  WriteFile(dir + "/tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
  auto t = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(t.status()), HasSubstr(dir + "/tokenizer.json"));

  WriteFile(dir + "/tokenizer.json", "[1, 2, 3]");
  auto array = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(array.ok());
  EXPECT_THAT(Message(array.status()), HasSubstr("must hold a JSON object"));
}

TEST(LoadErrorsTest, BadConfigNamesTheFileAndField) {
  const std::string dir = MakeDir("bad_config");
  WriteFile(dir + "/tokenizer.json", MinimalTokenizerJson({"a"}, {}).dump());
  WriteFile(dir + "/tokenizer_config.json", R"({"bos_token": 5})");
  auto wrong_type = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(Message(wrong_type.status()),
              AllOf(HasSubstr("tokenizer_config.json"), HasSubstr("bos_token")));

  WriteFile(dir + "/tokenizer_config.json", R"({"eos_token": {"content": "</s>"}})");
  auto unknown = Tokenizer::FromDirectory(dir);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(Message(unknown.status()),
              AllOf(HasSubstr("tokenizer_config.json"), HasSubstr("eos_token"), HasSubstr("</s>")));
}

// Builds `doc` and expects an error whose message holds every one of `parts`.
void ExpectError(const JsonDoc& doc, absl::StatusCode code,
                 const std::vector<std::string>& parts) {
  auto t = Build(doc);
  ASSERT_FALSE(t.ok()) << doc.dump().substr(0, 200);
  EXPECT_EQ(t.status().code(), code) << t.status();
  for (const std::string& part : parts) {
    EXPECT_THAT(Message(t.status()), HasSubstr(part));
  }
  EXPECT_THAT(Message(t.status()), HasSubstr("test/tokenizer.json"));
}

TEST(LoadErrorsTest, MergesMustReferToVocabularyTokens) {
  ExpectError(MinimalTokenizerJson({"a", "b", "ab"}, {"a b", "a c"}),
              absl::StatusCode::kInvalidArgument, {"model.merges[1]", "\"c\""});
  ExpectError(MinimalTokenizerJson({"a", "b"}, {"a b"}), absl::StatusCode::kInvalidArgument,
              {"model.merges[0]", "merged token \"ab\""});
  ExpectError(MinimalTokenizerJson({"a", "b", "ab"}, {"a b c"}),
              absl::StatusCode::kInvalidArgument, {"model.merges[0]", "two tokens"});
  JsonDoc pair = MinimalTokenizerJson({"a"}, {});
  pair["model"]["merges"] = JsonDoc::parse(R"([["a"]])");
  ExpectError(pair, absl::StatusCode::kInvalidArgument, {"model.merges[0]"});
}

TEST(LoadErrorsTest, VocabularyAndModelFields) {
  JsonDoc doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["vocab"]["b"] = "one";
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.vocab[\"b\"]", "token id"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["vocab"]["b"] = -3;
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.vocab[\"b\"]", "negative"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["vocab"]["b"] = 4000000000LL;
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.vocab[\"b\"]"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["vocab"]["b"] = 10000000;  // a valid id, but 10M-entry tables for 2 tokens
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.vocab", "too sparse"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"].erase("merges");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.merges", "missing"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["unk_token"] = "<unk>";
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.unk_token", "<unk>"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["ignore_merges"] = "yes";
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model.ignore_merges"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["dropout"] = 0.1;
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"model.dropout"});
  doc = MinimalTokenizerJson({"a"}, {});
  doc.erase("model");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"model", "missing"});
}

TEST(LoadErrorsTest, UnknownTypesAreRejected) {
  JsonDoc doc = MinimalTokenizerJson({"a"}, {});
  doc["model"]["type"] = "WordPiece";
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"model.type", "\"WordPiece\""});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["pre_tokenizer"] = JsonDoc::parse(
      R"({"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Metaspace"}]})");
  ExpectError(doc, absl::StatusCode::kUnimplemented,
              {"pre_tokenizer.pretokenizers[1].type", "\"Metaspace\""});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["normalizer"] = {{"type", "BertNormalizer"}};
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"normalizer.type", "\"BertNormalizer\""});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["decoder"] = {{"type", "WordPiece"}};
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"decoder.type", "\"WordPiece\""});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["post_processor"] = {{"type", "Mystery"}};
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"post_processor.type", "\"Mystery\""});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["pre_tokenizer"] = {{"kind", "Split"}};
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"pre_tokenizer.type", "missing"});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["version"] = "2.0";
  ExpectError(doc, absl::StatusCode::kUnimplemented, {"version"});
}

TEST(LoadErrorsTest, InvalidRegexAndSplitFields) {
  JsonDoc doc = MinimalTokenizerJson({"a"}, {});
  doc["pre_tokenizer"] = JsonDoc::parse(
      R"({"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false})");
  ExpectError(doc, absl::StatusCode::kInvalidArgument,
              {"pre_tokenizer.pattern.Regex", "invalid regex"});

  doc["pre_tokenizer"] = JsonDoc::parse(
      R"({"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways", "invert": false})");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"pre_tokenizer.behavior", "Sideways"});

  doc["pre_tokenizer"] = JsonDoc::parse(
      R"({"type": "Split", "pattern": {"Glob": "*"}, "behavior": "Isolated"})");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"pre_tokenizer.pattern"});
}

TEST(LoadErrorsTest, AddedTokensAndPostProcessorFields) {
  JsonDoc doc = MinimalTokenizerJson({"a"}, {});
  doc["added_tokens"] = JsonDoc::parse(R"([{"id": 1, "special": true}])");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"added_tokens[0].content"});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["added_tokens"] = JsonDoc::parse(R"([{"id": 1, "content": "<x>", "lstrip": 1}])");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"added_tokens[0].lstrip"});

  doc = MinimalTokenizerJson({"a"}, {});
  doc["post_processor"] = JsonDoc::parse(R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {}})");
  ExpectError(doc, absl::StatusCode::kInvalidArgument,
              {"post_processor.special_tokens", "\"<s>\""});
}

TEST(LoadErrorsTest, PostProcessorIdsMustNameTokens) {
  // Found by the fuzzer: an id outside the vocabulary would reach the model.
  JsonDoc doc = MinimalTokenizerJson({"a", "b"}, {});
  doc["post_processor"] =
      JsonDoc::parse(R"({"type": "BertProcessing", "sep": ["b", 1], "cls": ["x", 869]})");
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"post_processor", "869"});
}

TEST(LoadErrorsTest, DeepNestingIsRejected) {
  JsonDoc inner = {{"type", "NFC"}};
  for (int i = 0; i < 40; ++i) {
    inner = JsonDoc{{"type", "Sequence"}, {"normalizers", JsonDoc::array({inner})}};
  }
  JsonDoc doc = MinimalTokenizerJson({"a"}, {});
  doc["normalizer"] = inner;
  ExpectError(doc, absl::StatusCode::kInvalidArgument, {"nested too deeply"});
}

TEST(EncodeErrorsTest, InvalidUtf8NamesTheByteOffset) {
  auto t = Tokenizer::FromDirectory(testing::Lfm2LikeDir());
  ASSERT_TRUE(t.ok()) << t.status();
  auto ids = (*t)->Encode("abc\xFF" "def", false);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(ids.status()), AllOf(HasSubstr("UTF-8"), HasSubstr("offset 3")));
  auto truncated = (*t)->Encode("\xE4\xB8\xAD\xE4\xB8", true);
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(Message(truncated.status()), HasSubstr("offset 3"));
}

}  // namespace
}  // namespace lateral

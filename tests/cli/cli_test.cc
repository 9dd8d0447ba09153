// The `lateral` binary as scripts and independent checks use it: outputs on
// stdout or in files, diagnostics on stderr, exit codes 0 / 1 / 2.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using testing::AllClose;
using testing::Fixture;
using testing::TestDataPath;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("lateral-cli-", ::getpid(), "-", counter_++);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `lateral ARGS` through the shell, with `input` on stdin.
  Outcome Lateral(const std::string& args, const std::string& input = "") {
    std::ofstream(Path("stdin")) << input;
    const std::string cmd = absl::StrCat(LATERAL_BINARY_DIR, "/cli/lateral ", args, " <", Path("stdin"), " >",
                                         Path("stdout"), " 2>", Path("stderr"));
    int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = ReadFileToString(Path("stdout")).value_or("");
    o.err = ReadFileToString(Path("stderr")).value_or("");
    return o;
  }

  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST_F(CliTest, TokenizeWritesOneLinePerInputInOrder) {
  // The first lines of the tokenizer fixture, with and without BOS.
  std::ifstream fixture(TestDataPath("tokenizer-lfm2like/expected_encodings.jsonl"));
  std::string line, input;
  std::vector<Json> rows;
  while (rows.size() < 40 && std::getline(fixture, line)) {
    rows.push_back(*ParseJson(line, "fixture"));
    input += Json{{"text", rows.back()["text"]}}.dump() + "\n";
  }
  for (bool special : {false, true}) {
    Outcome o = Lateral(absl::StrCat("tokenize --model ", TestDataPath("colbert-tiny"), special ? " --add-special" : ""),
                        input);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    std::istringstream out(o.out);
    for (const Json& row : rows) {
      ASSERT_TRUE(std::getline(out, line));
      EXPECT_EQ((*ParseJson(line, "out"))["ids"], row[special ? "ids_with_bos" : "ids"]) << row["text"];
    }
    EXPECT_FALSE(std::getline(out, line)) << "extra output line: " << line;
  }
}

TEST_F(CliTest, TokenizeReportsTheBadLine) {
  Outcome o = Lateral(absl::StrCat("tokenize --model ", TestDataPath("colbert-tiny")),
                      "{\"text\": \"fine\"}\n{\"txt\": 1}\n");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("stdin line 2"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("{\"ids\":"), std::string::npos) << "the good line before it is still written";
}

TEST_F(CliTest, RunWritesHiddenStatesAndLogits) {
  for (const std::string model : {"lfm2-tiny", "lfm2-check", "lfm2moe-tiny"}) {
    Fixture expected(model + "/expected.safetensors");
    const std::vector<int32_t> ids = expected.Ints("case2.input_ids");
    Outcome o = Lateral(absl::StrCat("run --model ", TestDataPath(model), " --ids ", absl::StrJoin(ids, ","),
                                     " --out ", Path("out.safetensors")));
    ASSERT_EQ(o.exit_code, 0) << o.err;
    Fixture got(Path("out.safetensors"));
    EXPECT_TRUE(AllClose(got.Floats("last_hidden_state"), expected.Floats("case2.last_hidden_state"), 1e-4)) << model;
    EXPECT_TRUE(AllClose(got.Floats("logits_last"), expected.Floats("case2.logits_last"), 1e-4)) << model;
  }
}

TEST_F(CliTest, GenerateGreedyIdsAsJson) {
  Fixture expected("lfm2moe-tiny/expected.safetensors");
  Outcome o = Lateral(absl::StrCat("generate --model ", TestDataPath("lfm2moe-tiny"), " --ids ",
                                   absl::StrJoin(expected.Ints("case2.input_ids"), ","),
                                   " --max-tokens 8 --greedy --json"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = *ParseJson(o.out, "stdout");
  EXPECT_EQ(out["ids"].get<std::vector<int32_t>>(), expected.Ints("case2.greedy_ids"));
}

TEST_F(CliTest, EncodeQueryAndDocument) {
  Fixture expected("colbert-tiny/expected.safetensors");
  auto meta = *ReadJsonFile(TestDataPath("colbert-tiny/expected.json"));
  struct Case {
    const char* flag;
    std::string text, key;
  } cases[] = {{"--query", meta["queries"][1].get<std::string>(), "query1"},
               {"--document", meta["documents"][3].get<std::string>(), "doc3"}};
  for (const Case& c : cases) {
    Outcome o = Lateral(absl::StrCat("encode --model ", TestDataPath("colbert-tiny"), " ", c.flag, " --text ",
                                     Quote(c.text), " --out ", Path("e.safetensors")));
    ASSERT_EQ(o.exit_code, 0) << o.err;
    Fixture got(Path("e.safetensors"));
    EXPECT_EQ(got.Ints("input_ids"), expected.Ints(c.key + ".input_ids"));
    EXPECT_EQ(got.Shape("embeddings"), expected.Shape(c.key));
    EXPECT_TRUE(AllClose(got.Floats("embeddings"), expected.Floats(c.key), 1e-4));
  }
}

TEST_F(CliTest, InspectPrintsEveryLayer) {
  Outcome o = Lateral(absl::StrCat("inspect --model ", TestDataPath("colbert-tiny"), " --text 'Hello world'"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // The fixture tokenizer gives BOS H el lo Ġworld (expected_encodings.jsonl, line 1).
  for (const char* want : {"tokens (5)", "Ġworld", "embed:", "layer 0 conv:", "layer 2 attn:", "layer 5 conv:", "final_norm:",
                           "norm="}) {
    EXPECT_NE(o.out.find(want), std::string::npos) << want << "\n" << o.out;
  }
}

TEST_F(CliTest, UsageErrorsExitTwoAndNameTheFlag) {
  Outcome o = Lateral("run --modle x --ids 1 --out y");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--modle"), std::string::npos) << o.err;
  o = Lateral(absl::StrCat("run --model ", TestDataPath("lfm2-tiny"), " --ids 1,x --out y"));
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--ids"), std::string::npos) << o.err;
  o = Lateral("frobnicate");
  EXPECT_EQ(o.exit_code, 2);
  o = Lateral(absl::StrCat("encode --model ", TestDataPath("colbert-tiny"), " --text hi --out x"));
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("--query"), std::string::npos) << o.err;
}

TEST_F(CliTest, RuntimeErrorsExitOneAndNameTheFile) {
  Outcome o = Lateral(absl::StrCat("run --model ", Path("missing"), " --ids 1 --out ", Path("x")));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("missing/config.json"), std::string::npos) << o.err;
  o = Lateral(absl::StrCat("run --model ", TestDataPath("lfm2-tiny"), " --ids 70000 --out ", Path("x")));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("70000"), std::string::npos) << o.err;
  EXPECT_FALSE(std::filesystem::exists(Path("x"))) << "no output file on failure";
}

TEST_F(CliTest, HelpListsCommandsAndFlags) {
  Outcome o = Lateral("--help");
  EXPECT_EQ(o.exit_code, 0);
  for (const char* c : {"tokenize", "run", "generate", "encode", "inspect"}) EXPECT_NE(o.out.find(c), std::string::npos);
  o = Lateral("generate --help");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.out.find("--max-tokens"), std::string::npos);
  EXPECT_NE(o.out.find("example"), std::string::npos);
}

}  // namespace
}  // namespace lateral

// `lateral ask` and `lateral chat` through the real binary: the generated ids
// match transformers' greedy continuation of the same prompt, citations and
// passages are reported, bad input gives clear errors, Ctrl-C stops cleanly,
// and chat reuses the previous turns' state.
//
// Generator: tests/data/lfm2-tiny's weights with tests/data/colbert-tiny's
// tokenizer (an LFM2 tokenizer without a chat template), assembled in a
// temporary directory. Collection: tests/data/answer/corpus, BM25 only.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TestDataPath;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

constexpr char kQuestion[] = "When did the Golden Gate Bridge open?";

class AskCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / absl::StrCat("lateral-ask-", ::getpid());
    fs::create_directories(root_ / "home");
    // The generator: lfm2-tiny weights + colbert-tiny's LFM2 tokenizer, no chat template.
    const fs::path model = root_ / "model";
    fs::create_directories(model);
    for (const char* f : {"config.json", "model.safetensors", "generation_config.json"}) {
      fs::create_symlink(TestDataPath(absl::StrCat("lfm2-tiny/", f)), model / f);
    }
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::create_symlink(TestDataPath(absl::StrCat("colbert-tiny/", f)), model / f);
    }
    // A BM25 collection of the small corpus.
    fs::copy(TestDataPath("answer/corpus"), root_ / "corpus", fs::copy_options::recursive);
    ASSERT_EQ(Run("init", "corpus").exit_code, 0);
    Outcome add = Run("add .", "corpus");
    ASSERT_EQ(add.exit_code, 0) << add.err;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string Path(const std::string& name) { return (root_ / name).string(); }
  static std::string Model() { return Path("model"); }

  // `cd ROOT/cwd && lateral ARGS < input`, with a private HOME so that no user config leaks in.
  static Outcome Run(const std::string& args, const std::string& cwd = "corpus", const std::string& input = "") {
    fs::create_directories(Path(cwd));
    std::ofstream(Path("stdin"), std::ios::binary) << input;
    const std::string cmd = absl::StrCat(
        "cd ", Quote(Path(cwd)), " && env -u LATERAL_COLLECTION HOME=", Quote(Path("home")),
        " XDG_CONFIG_HOME=", Quote(Path("home/.config")), " NO_COLOR=1 ", LATERAL_BINARY_DIR, "/cli/lateral ", args,
        " >", Quote(Path("stdout")), " 2>", Quote(Path("stderr")), " <", Quote(Path("stdin")));
    int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = ReadFileToString(Path("stdout")).value_or("");
    o.err = ReadFileToString(Path("stderr")).value_or("");
    return o;
  }

  static Json JsonOf(const std::string& text) {
    absl::StatusOr<Json> json = ParseJson(text, "stdout");
    EXPECT_TRUE(json.ok()) << json.status() << "\n" << text;
    return json.ok() ? *json : Json();
  }

  static inline fs::path root_;
};

// The reference: tests/data/answer/generate.py ran transformers' greedy
// generate on the prompt ids this command dumped (prompt.json), without a
// repetition penalty (lfm2-tiny's generation_config.json has none, so lateral
// would use LFM2's 1.05 and transformers 1.0: the flag makes them agree).
TEST_F(AskCliTest, GreedyAnswerMatchesTheReferenceContinuation) {
  absl::StatusOr<Json> expected = ReadJsonFile(TestDataPath("answer/expected.json"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  Outcome o = Run(absl::StrCat("ask --generator ", Quote(Model()), " --greedy --repetition-penalty 1 --precision f32 --json --show-prompt -k 2",
                               " --max-tokens ", (*expected)["max_new_tokens"].get<int>(), " ", Quote(kQuestion)));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = JsonOf(o.out);
  EXPECT_EQ(out["prompt_ids"], (*expected)["prompt_ids"]) << "the prompt changed: regenerate prompt.json and "
                                                             "expected.json (see generate.py)";
  EXPECT_EQ(out["stop_token_ids"], (*expected)["stop_token_ids"]);
  EXPECT_EQ(out["ids"], (*expected)["greedy_ids"]);
  // The prompt holds the retrieved passages as numbered documents, best first.
  const std::string prompt = out["prompt"].get<std::string>();
  EXPECT_THAT(prompt, HasSubstr("<document1>The Golden Gate Bridge opened in May 1937"));
  ASSERT_EQ(out["passages"].size(), 2u);
  EXPECT_EQ(out["passages"][0]["path"], "bridges.txt");
  EXPECT_EQ(out["passages"][0]["fate"], "included");
  EXPECT_EQ(out["passages"][0]["line_begin"], 1);
  EXPECT_EQ(out["retrieval"]["mode"], "bm25");
  EXPECT_EQ(out["retrieval"]["bm25_only"], true);
  EXPECT_THAT(out["retrieval"]["note"].get<std::string>(), HasSubstr("BM25"));
  EXPECT_EQ(out["interrupted"], false);
  EXPECT_EQ(out["chat_template"], "LFM2 (native)");
  for (const char* t : {"retrieval_ms", "prefill_s", "ttft_s", "decode_s", "decode_tokens_per_s"}) {
    EXPECT_TRUE(out["timings"].contains(t)) << t;
  }
}

TEST_F(AskCliTest, TextOutputStreamsTheAnswerAndSaysBm25WasUsed) {
  Outcome json = Run(absl::StrCat("ask --generator ", Quote(Model()), " --greedy --json --max-tokens 12 ",
                                  Quote(kQuestion)));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  Outcome text = Run(absl::StrCat("ask --generator ", Quote(Model()), " --greedy --max-tokens 12 --verbose ",
                                  Quote(kQuestion)));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::string answer = JsonOf(json.out)["answer"].get<std::string>();
  EXPECT_EQ(text.out.substr(0, answer.size() + 1), answer + "\n");
  EXPECT_THAT(text.out, HasSubstr("BM25: this collection has no ColBERT model"));
  EXPECT_THAT(text.err, HasSubstr("using LFM2's chat format"));
  EXPECT_THAT(text.err, HasSubstr("tokens/s"));
}

// A template the model ships is used instead of LFM2's native format.
TEST_F(AskCliTest, TheModelsOwnChatTemplateIsUsed) {
  const fs::path dir = root_ / "templated";
  fs::create_directories(dir);
  for (const fs::directory_entry& e : fs::directory_iterator(root_ / "model")) {
    fs::create_symlink(fs::read_symlink(e.path()), dir / e.path().filename());
  }
  std::ofstream(dir / "chat_template.jinja")
      << "{{ bos_token }}{% for m in messages %}### {{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}"
         "{% if add_generation_prompt %}### ASSISTANT:{% endif %}";
  Outcome o = Run(absl::StrCat("ask --no-retrieval --generator ", Quote(dir.string()),
                               " --greedy --json --show-prompt --max-tokens 3 ", Quote("  Hi there ")),
                  "elsewhere");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = JsonOf(o.out);
  EXPECT_EQ(out["prompt"], "<|startoftext|>### USER: Hi there\n### ASSISTANT:");
  EXPECT_THAT(out["chat_template"].get<std::string>(), HasSubstr("chat_template.jinja"));
}

// --stop ends the answer at the first occurrence of the text, which is not shown.
TEST_F(AskCliTest, StopStringEndsTheAnswerBeforeIt) {
  const std::string base = absl::StrCat("ask --generator ", Quote(Model()), " --greedy --json --max-tokens 40 ",
                                        Quote(kQuestion));
  Outcome full = Run(base);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const std::string answer = JsonOf(full.out)["answer"].get<std::string>();
  ASSERT_GT(answer.size(), 12u) << answer;
  // Three bytes from the middle, moved to a character boundary.
  size_t mid = answer.size() / 2;
  while (mid > 0 && (static_cast<unsigned char>(answer[mid]) & 0xC0) == 0x80) --mid;
  size_t end = mid + 3;
  while (end < answer.size() && (static_cast<unsigned char>(answer[end]) & 0xC0) == 0x80) ++end;
  const std::string stop = answer.substr(mid, end - mid);
  Outcome stopped = Run(absl::StrCat(base, " --stop ", Quote(stop)));
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  Json out = JsonOf(stopped.out);
  EXPECT_EQ(out["answer"], answer.substr(0, answer.find(stop))) << "stop " << Quote(stop);
  EXPECT_EQ(out["stop_reason"], "stop_string");

  // --stop repeats: any of the texts ends the answer, whichever flag names it.
  stopped = Run(absl::StrCat(base, " --stop ", Quote("no such text"), " --stop ", Quote(stop)));
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(JsonOf(stopped.out)["answer"], answer.substr(0, answer.find(stop)));
}

TEST_F(AskCliTest, ModelWithoutTemplateAndNotLfm2IsAnErrorNamingTheDirectory) {
  // The same tokenizer with <|im_start|> renamed: no longer recognisably LFM2.
  const fs::path dir = root_ / "not-lfm2";
  fs::create_directories(dir);
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json"}) {
    fs::create_symlink(TestDataPath(absl::StrCat("lfm2-tiny/", f)), dir / f);
  }
  fs::copy_file(TestDataPath("colbert-tiny/tokenizer_config.json"), dir / "tokenizer_config.json");
  std::string tokenizer = *ReadFileToString(TestDataPath("colbert-tiny/tokenizer.json"));
  absl::StrReplaceAll({{"<|im_start|>", "<|xx_start|>"}}, &tokenizer);
  std::ofstream(dir / "tokenizer.json", std::ios::binary) << tokenizer;
  Outcome o = Run(absl::StrCat("ask --generator ", Quote(dir.string()), " ", Quote(kQuestion)));
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_THAT(o.err, HasSubstr(dir.string() + "/chat_template.jinja"));
  EXPECT_THAT(o.err, HasSubstr("tokenizer_config.json"));
  EXPECT_TRUE(o.out.empty()) << o.out;
}

TEST_F(AskCliTest, NoGeneratorConfiguredIsAUsageError) {
  Outcome o = Run(absl::StrCat("ask ", Quote(kQuestion)));
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--generator"));
  EXPECT_THAT(o.err, HasSubstr("[answer]"));
}

TEST_F(AskCliTest, GeneratorFromTheConfigsAnswerSection) {
  const std::string config = Path("corpus/.lateral/config.toml");
  const std::string before = *ReadFileToString(config);
  std::ofstream(config, std::ios::app) << "\n[answer]\nmodel = \"" << Model() << "\"\nmax_tokens = 5\npassages = 1\n";
  Outcome o = Run(absl::StrCat("ask --greedy --json ", Quote(kQuestion)));
  std::ofstream(config, std::ios::trunc) << before;
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = JsonOf(o.out);
  EXPECT_LE(out["generated_tokens"].get<int>(), 5);
  EXPECT_EQ(out["passages"].size(), 1u);
}

TEST_F(AskCliTest, SmallContextCutsAndDropsPassagesWithinTheBudget) {
  const int context = 160, answer = 16;
  Outcome o = Run(absl::StrCat("ask --generator ", Quote(Model()), " --greedy --json -k 3 --context ", context,
                               " --max-tokens ", answer, " ", Quote("bridge Thames river Rhine bread")));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = JsonOf(o.out);
  EXPECT_LE(out["prompt_tokens"].get<int>() + answer, context);
  EXPECT_EQ(out["context_tokens"], context);
  ASSERT_EQ(out["passages"].size(), 3u);
  int not_whole = 0;
  for (const Json& p : out["passages"]) not_whole += p["fate"] != "included";
  EXPECT_GT(not_whole, 0) << out["passages"].dump();
  EXPECT_EQ(out["passages"][2]["fate"], "dropped");
}

TEST_F(AskCliTest, QuestionLongerThanTheContextIsAnErrorWithCounts) {
  Outcome o = Run(absl::StrCat("ask --generator ", Quote(Model()), " --context 40 --max-tokens 8 ",
                               Quote("Please explain in great detail how every bridge, river and bread recipe in "
                                     "this collection relates to the others, and why.")));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("does not fit the context"));
  EXPECT_THAT(o.err, HasSubstr("more than the context of 40 tokens"));
  // --context beyond the model's is refused.
  o = Run(absl::StrCat("ask --generator ", Quote(Model()), " --context 100000 x"));
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("max_position_embeddings"));
}

TEST_F(AskCliTest, NoRetrievalWorksOutsideAnyCollection) {
  Outcome o = Run(absl::StrCat("ask --no-retrieval --generator ", Quote(Model()), " --greedy --json --show-prompt "
                               "--max-tokens 6 ", Quote("Say hello")),
                  "elsewhere");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json out = JsonOf(o.out);
  EXPECT_EQ(out["retrieval"]["mode"], "none");
  EXPECT_TRUE(out["passages"].empty());
  EXPECT_EQ(out["prompt"], "<|startoftext|><|im_start|>user\nSay hello<|im_end|>\n<|im_start|>assistant\n");
  // Without --no-retrieval the missing collection is the error.
  o = Run(absl::StrCat("ask --generator ", Quote(Model()), " hello"), "elsewhere");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("lateral init"));
}

// Starts `lateral ARGS...` in the corpus folder, waits until `ready` appears
// on the stream chosen, sends SIGINT, and collects everything.
struct Interrupted {
  int exit_code = -1;
  std::string out, err;
  bool signalled = false;
};
Interrupted RunAndInterrupt(const std::vector<std::string>& args, const std::string& cwd, bool wait_on_stderr,
                            const std::string& ready, const std::string& stdin_path = "/dev/null") {
  int out_pipe[2], err_pipe[2];
  EXPECT_EQ(pipe(out_pipe), 0);
  EXPECT_EQ(pipe(err_pipe), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    int input = open(stdin_path.c_str(), O_RDONLY);
    dup2(input, 0);
    close(out_pipe[0]), close(err_pipe[0]);
    std::vector<char*> argv;
    std::string binary = absl::StrCat(LATERAL_BINARY_DIR, "/cli/lateral");
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]), close(err_pipe[1]);
  Interrupted r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? r.out : r.err).append(buffer, n);
    }
    const std::string& watched = wait_on_stderr ? r.err : r.out;
    if (!r.signalled && watched.find(ready) != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_on_stderr ? 300 : 0));
      kill(pid, SIGINT);
      r.signalled = true;
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_F(AskCliTest, CtrlCStopsTheAnswerCleanly) {
  const std::vector<std::string> base = {"ask", "--generator", Model(), "--greedy", "--max-tokens", "3800", "-k", "1",
                                         std::string(kQuestion)};
  // Text: SIGINT once the answer has started streaming.
  Interrupted text = RunAndInterrupt(base, Path("corpus"), /*wait_on_stderr=*/false, " ");
  ASSERT_TRUE(text.signalled) << text.err;
  EXPECT_EQ(text.exit_code, 130) << text.err;
  EXPECT_THAT(text.out, HasSubstr("[interrupted]"));
  EXPECT_THAT(text.err, HasSubstr("interrupted"));
  // JSON: still one valid object, marked interrupted, with the partial answer.
  std::vector<std::string> json_args = base;
  json_args.insert(json_args.end(), {"--json", "--verbose"});
  Interrupted json = RunAndInterrupt(json_args, Path("corpus"), /*wait_on_stderr=*/true, "generating");
  ASSERT_TRUE(json.signalled) << json.err;
  EXPECT_EQ(json.exit_code, 130) << json.err;
  Json out = JsonOf(json.out);
  EXPECT_EQ(out["interrupted"], true);
  EXPECT_EQ(out["stop_reason"], "interrupted");
  EXPECT_GT(out["ids"].size(), 0u);
  EXPECT_LT(out["ids"].size(), 3800u);
}

// In chat, Ctrl-C ends the answer being written and the conversation goes
// on with the next line; the process ends normally at the end of input.
TEST_F(AskCliTest, CtrlCInChatStopsTheAnswerAndTheConversationGoesOn) {
  const std::string input = Path("questions.txt");
  std::ofstream(input) << kQuestion << "\nAnd the Danube?\n";
  Interrupted r = RunAndInterrupt({"chat", "--generator", Model(), "--greedy", "--max-tokens", "3000", "-k", "1"},
                                  Path("corpus"), /*wait_on_stderr=*/false, " ", input);
  ASSERT_TRUE(r.signalled) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const size_t marker = r.out.find("[interrupted]");
  ASSERT_NE(marker, std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("[interrupted]", marker + 1), std::string::npos) << "only the first answer was interrupted";
  // The second answer follows.
  EXPECT_GT(absl::StripAsciiWhitespace(r.out.substr(marker + 13)).size(), 0u) << r.out;
}

TEST_F(AskCliTest, ChatReusesThePreviousTurnsState) {
  Outcome o = Run(absl::StrCat("chat --generator ", Quote(Model()),
                               " --greedy --json --verbose --show-prompt --max-tokens 8 -k 1"),
                  "corpus",
                  "Where does the Rhine flow?\nAnd the Danube?\n/reset\nWhen did the Tower Bridge open?\n");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::vector<Json> turns;
  for (absl::string_view line : absl::StrSplit(o.out, '\n', absl::SkipEmpty())) turns.push_back(JsonOf(std::string(line)));
  ASSERT_EQ(turns.size(), 4u) << o.out;
  EXPECT_EQ(turns[0]["reused_tokens"], 0);
  EXPECT_EQ(turns[0]["prefilled_tokens"], turns[0]["prompt_tokens"]);
  // Turn 2 starts with turn 1's prompt and answer: both are reused, as generated.
  const int prompt1 = turns[0]["prompt_tokens"].get<int>();
  const int answer1 = static_cast<int>(turns[0]["ids"].size());
  // (The last generated token was sampled but never run through the model,
  // so its state is computed with turn 2's new tokens.)
  EXPECT_GE(turns[1]["reused_tokens"].get<int>(), prompt1 + answer1 - 1);
  EXPECT_GT(turns[1]["prefilled_tokens"].get<int>(), 0);
  EXPECT_EQ(turns[1]["reused_tokens"].get<int>() + turns[1]["prefilled_tokens"].get<int>(),
            turns[1]["prompt_tokens"].get<int>());
  // What turn 2 feeds the model starts with exactly what turn 1 fed it and
  // every token turn 1 generated, the last one included.
  std::vector<int32_t> expected_start = turns[0]["prompt_ids"].get<std::vector<int32_t>>();
  for (int32_t id : turns[0]["ids"].get<std::vector<int32_t>>()) expected_start.push_back(id);
  const std::vector<int32_t> prompt2 = turns[1]["prompt_ids"].get<std::vector<int32_t>>();
  ASSERT_GT(prompt2.size(), expected_start.size());
  EXPECT_TRUE(std::equal(expected_start.begin(), expected_start.end(), prompt2.begin()));
  EXPECT_EQ(turns[1]["reused_tokens"].get<int>(), prompt1 + answer1 - 1);
  EXPECT_EQ(turns[1]["retrieval"], "bm25");
  EXPECT_EQ(turns[2]["reset"], true);
  EXPECT_EQ(turns[3]["reused_tokens"], 0) << "after /reset nothing is reused";
  EXPECT_THAT(o.err, HasSubstr("reused"));
}

TEST_F(AskCliTest, ChatDropsTheOldestTurnsWhenTheContextFills) {
  std::string input;
  for (int i = 0; i < 6; ++i) input += absl::StrCat("Tell me fact number ", i, " about rivers and bridges.\n");
  const int context = 120, answer = 8;
  Outcome o = Run(absl::StrCat("chat --no-retrieval --generator ", Quote(Model()), " --greedy --json --context ",
                               context, " --max-tokens ", answer),
                  "elsewhere", input);
  ASSERT_EQ(o.exit_code, 0) << o.err;
  int dropped = 0, turns = 0;
  for (absl::string_view line : absl::StrSplit(o.out, '\n', absl::SkipEmpty())) {
    Json turn = JsonOf(std::string(line));
    ++turns;
    EXPECT_LE(turn["prompt_tokens"].get<int>() + answer, context);
    dropped += turn["dropped_turns"].get<int>();
  }
  EXPECT_EQ(turns, 6);
  EXPECT_GT(dropped, 0);
}

}  // namespace
}  // namespace lateral

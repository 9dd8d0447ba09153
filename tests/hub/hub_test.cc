// Tests of `lateral pull` and model lookup (cli/hub/) against a local fake hub
// (tests/hub/fake_hub.py on 127.0.0.1); nothing here touches the internet.
//
// Oracles: the files the fake hub serves (byte equality), the hub's cache
// layout rules (symlink targets, refs), the fake hub's request log (what was
// transferred, with which Range), and digests computed by the fake hub in
// Python (a mismatch with our C++ digests fails verification).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/hub/blob_digest.h"
#include "cli/hub/hub_client.h"
#include "cli/hub/model_locator.h"
#include "common/json.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lateral::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kC1 = "1a" + std::string(38, '1');  // main
const std::string kC2 = "2b" + std::string(38, '2');  // tag v1

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

struct ProcessResult {
  int status = -1;  // raw waitpid status
  std::string out, err;
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// fork + exec with extra environment (value "" unsets) and stdout/stderr to files.
pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) {
      if (v.empty()) unsetenv(k.c_str()); else setenv(k.c_str(), v.c_str(), 1);
    }
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

struct LogEntry {
  std::string method, path, range;
  bool auth = false;
  int status = 0;
};

// One fake hub serves every HubTest (starting python3 is the slow part); each
// test gets its own cache, HF_HOME, fault file contents and request log.
class HubTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/lateral-hub-server-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    server_dir_ = new fs::path(tmpl);
    root_ = new fs::path(*server_dir_ / "root");
    faults_ = new fs::path(*server_dir_ / "faults.json");
    log_ = new fs::path(*server_dir_ / "requests.log");
    files1_ = new std::map<std::string, std::string>{{"config.json", "{\"model_type\": \"lfm2\", \"v\": 1}\n"},
                                                     {"tokenizer.json", "{\"vocab\": [\"a\", \"b\"]}\n"},
                                                     {"model.safetensors", RandomBytes(1 << 20, 7)},
                                                     {"sub/extra.txt", "nested\n"},
                                                     {"sub/copy.txt", "nested\n"}};  // same blob as extra.txt
    files2_ = new std::map<std::string, std::string>(*files1_);
    (*files2_)["config.json"] = "{\"model_type\": \"lfm2\", \"v\": 2}\n";
    MakeRepo("Org/Model", false);
    MakeRepo("Org/Gated", true);
    WriteFile(*faults_, "{}");
    StartServer();
  }

  static void TearDownTestSuite() {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGTERM);
      waitpid(server_pid_, nullptr, 0);
      server_pid_ = -1;
    }
    std::error_code ec;
    fs::remove_all(*server_dir_, ec);
  }

  void SetUp() override {
    ASSERT_FALSE(endpoint_.empty()) << "fake hub did not start (is python3 installed?)";
    char tmpl[] = "/tmp/lateral-hub-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cache_ = dir_ / "cache";
    home_ = dir_ / "home";
    fs::create_directories(home_);
    // No real token or cache of the person running the tests may leak in.
    setenv("HF_HOME", home_.c_str(), 1);
    unsetenv("HF_TOKEN");
    unsetenv("HF_TOKEN_PATH");
    SetFaults("{}");
    // Fault counters ("first request of a file") start again for each test.
    HttpClient http("", RetryPolicy{});
    absl::StatusOr<HttpResult> reset = http.Get(endpoint_ + "/_reset");
    ASSERT_TRUE(reset.ok() && reset->status == 200) << reset.status();
    ClearLog();
    files1_copy_ = *files1_;
    files2_copy_ = *files2_;
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static void MakeRepo(const std::string& repo_id, bool gated) {
    const fs::path repo = *root_ / repo_id;
    WriteFile(repo / "repo.json", absl::StrCat("{\"refs\": {\"main\": \"", kC1, "\", \"v1\": \"", kC2,
                                               "\"}, \"gated\": ", gated ? "true" : "false", "}"));
    for (const auto& [path, content] : *files1_) WriteFile(repo / "commits" / kC1 / path, content);
    for (const auto& [path, content] : *files2_) WriteFile(repo / "commits" / kC2 / path, content);
  }

  void SetFaults(const std::string& json) { WriteFile(*faults_, json); }

  static void StartServer() {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    server_pid_ = fork();
    if (server_pid_ == 0) {
      dup2(pipe_fds[1], 1);
      close(pipe_fds[0]);
      // Page size 3 makes every listing paginated (the tree has 6 entries).
      execlp("python3", "python3", LATERAL_FAKE_HUB, "--root", root_->c_str(), "--faults", faults_->c_str(), "--log",
             log_->c_str(), "--page-size", "3", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(pipe_fds[1]);
    std::string line;
    pollfd p{pipe_fds[0], POLLIN, 0};
    char c;
    while (poll(&p, 1, 20000) > 0 && read(pipe_fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(pipe_fds[0]);
    if (!line.empty()) endpoint_ = "http://127.0.0.1:" + line;
  }

  std::map<std::string, std::string> CliEnv() const {
    return {{"HF_ENDPOINT", endpoint_}, {"HF_HUB_CACHE", cache_.string()}, {"HF_HOME", home_.string()},
            {"HF_TOKEN", ""}, {"XDG_CACHE_HOME", ""}};
  }

  ProcessResult RunLateral(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& extra_env = {}) {
    std::vector<std::string> argv = {std::string(LATERAL_BINARY_DIR) + "/cli/lateral"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = CliEnv();
    for (const auto& [k, v] : extra_env) env[k] = v;
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    ProcessResult r;
    waitpid(Spawn(argv, env, out, err), &r.status, 0);
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  PullOptions Options() const {
    PullOptions o;
    o.endpoint = endpoint_;
    o.cache_root = cache_.string();
    o.progress = ProgressMode::kQuiet;
    o.retry.max_attempts = 4;
    o.retry.initial_backoff_ms = 10;
    return o;
  }

  std::vector<LogEntry> Log() const {
    std::vector<LogEntry> entries;
    std::ifstream in(*log_);
    std::string line;
    while (std::getline(in, line)) {
      Json j = Json::parse(line);
      LogEntry e;
      e.method = j["method"];
      e.path = j["path"];
      e.range = j["range"].is_null() ? "" : j["range"].get<std::string>();
      e.auth = j["auth"];
      e.status = j["status"];
      entries.push_back(e);
    }
    return entries;
  }

  // Requests that carried file content (resolve answers other than redirects, and CDN).
  std::vector<LogEntry> BodyRequests() const {
    std::vector<LogEntry> out;
    for (const LogEntry& e : Log()) {
      if ((absl::StrContains(e.path, "/resolve/") && e.status != 302) || absl::StartsWith(e.path, "/cdn/")) {
        out.push_back(e);
      }
    }
    return out;
  }

  void ClearLog() { fs::remove(*log_); }

  fs::path RepoDir() const { return cache_ / "models--Org--Model"; }
  static bool IsLfs(const std::string& path) { return absl::EndsWith(path, ".safetensors"); }
  static std::string Etag(const std::string& path, const std::string& content) {
    return IsLfs(path) ? Sha256Hex(content) : GitBlobSha1(content);
  }

  // Checks the snapshot of `commit` against `files` and the hub's layout rules.
  void ExpectSnapshot(const std::string& commit, const std::map<std::string, std::string>& files) {
    const fs::path snap = RepoDir() / "snapshots" / commit;
    for (const auto& [path, content] : files) {
      SCOPED_TRACE(path);
      const fs::path link = snap / path;
      ASSERT_TRUE(fs::is_symlink(link));
      const int depth = 2 + static_cast<int>(std::count(path.begin(), path.end(), '/'));
      std::string target;
      for (int i = 0; i < depth; ++i) target += "../";
      EXPECT_EQ(fs::read_symlink(link).string(), target + "blobs/" + Etag(path, content));
      EXPECT_EQ(ReadFile(link), content);
    }
    size_t count = 0;
    for (auto it = fs::recursive_directory_iterator(snap); it != fs::recursive_directory_iterator(); ++it) {
      if (fs::is_symlink(it->symlink_status())) ++count;
    }
    EXPECT_EQ(count, files.size());
    for (auto& entry : fs::directory_iterator(RepoDir() / "blobs")) {
      EXPECT_FALSE(absl::EndsWith(entry.path().string(), ".incomplete")) << entry.path();
    }
  }

  static inline fs::path* server_dir_ = nullptr;
  static inline fs::path* root_ = nullptr;
  static inline fs::path* faults_ = nullptr;
  static inline fs::path* log_ = nullptr;
  static inline std::string endpoint_;
  static inline pid_t server_pid_ = -1;
  static inline std::map<std::string, std::string>* files1_ = nullptr;
  static inline std::map<std::string, std::string>* files2_ = nullptr;

  fs::path dir_, cache_, home_;
  // Per-test copies, so tests can index them with [].
  std::map<std::string, std::string> files1_copy_, files2_copy_;
};

TEST(GitBlobSha1, MatchesGit) {
  // `printf 'hello\n' | git hash-object --stdin` and the empty blob.
  EXPECT_EQ(GitBlobSha1("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(GitBlobSha1(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

TEST(MatchesIncludeTest, Globs) {
  EXPECT_TRUE(MatchesInclude("anything", {}));
  EXPECT_TRUE(MatchesInclude("config.json", {"*.json"}));
  EXPECT_TRUE(MatchesInclude("onnx/model.json", {"*.json"}));  // '*' crosses '/', as in huggingface_hub
  EXPECT_FALSE(MatchesInclude("model.safetensors", {"*.json", "tok?n*"}));
  EXPECT_TRUE(MatchesInclude("token.txt", {"*.json", "tok?n*"}));
}

TEST_F(HubTest, FullPullWritesTheHubCacheLayout) {
  ProcessResult r = RunLateral({"pull", "Org/Model", "--quiet"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, (RepoDir() / "snapshots" / kC1).string() + "\n");
  EXPECT_EQ(r.err, "");  // --quiet
  ExpectSnapshot(kC1, files1_copy_);
  EXPECT_EQ(ReadFile(RepoDir() / "refs" / "main"), kC1);
  // The LFS file came through the CDN redirect, like on the real hub.
  bool via_cdn = false;
  for (const LogEntry& e : Log()) via_cdn = via_cdn || absl::StartsWith(e.path, "/cdn/");
  EXPECT_TRUE(via_cdn);
  // sub/extra.txt and sub/copy.txt share a blob, fetched once.
  EXPECT_EQ(BodyRequests().size(), 4u);
  EXPECT_EQ(fs::read_symlink(RepoDir() / "snapshots" / kC1 / "sub" / "copy.txt"),
            fs::read_symlink(RepoDir() / "snapshots" / kC1 / "sub" / "extra.txt"));
}

TEST_F(HubTest, SecondPullTransfersNothing) {
  ASSERT_EQ(RunLateral({"pull", "Org/Model"}).exit_code(), 0);
  ClearLog();
  ProcessResult r = RunLateral({"pull", "Org/Model"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, (RepoDir() / "snapshots" / kC1).string() + "\n");
  EXPECT_TRUE(BodyRequests().empty());
  EXPECT_THAT(r.err, HasSubstr("0 downloaded"));
  ExpectSnapshot(kC1, files1_copy_);
}

TEST_F(HubTest, SecondRevisionSharesUnchangedBlobs) {
  ASSERT_TRUE(PullModel("Org/Model", Options()).ok());
  ClearLog();
  PullOptions o = Options();
  o.revision = "v1";
  absl::StatusOr<PullResult> r = PullModel("Org/Model", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->commit, kC2);
  EXPECT_EQ(r->files_downloaded, 1);  // only config.json changed
  ASSERT_EQ(BodyRequests().size(), 1u);
  EXPECT_THAT(BodyRequests()[0].path, HasSubstr("config.json"));
  ExpectSnapshot(kC2, files2_copy_);
  ExpectSnapshot(kC1, files1_copy_);
  EXPECT_EQ(ReadFile(RepoDir() / "refs" / "v1"), kC2);
}

TEST_F(HubTest, PullByCommitWritesNoRef) {
  PullOptions o = Options();
  o.revision = kC2;
  absl::StatusOr<PullResult> r = PullModel("Org/Model", o);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSnapshot(kC2, files2_copy_);
  EXPECT_FALSE(fs::exists(RepoDir() / "refs" / kC2));
}

TEST_F(HubTest, ResumesWithinOnePullAfterADroppedConnection) {
  SetFaults(R"({"drop_after": {"model.safetensors": 300000}})");
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSnapshot(kC1, files1_copy_);
  std::vector<std::string> ranges;
  for (const LogEntry& e : BodyRequests()) {
    if (absl::StrContains(e.path, "model.safetensors")) ranges.push_back(e.range + "/" + std::to_string(e.status));
  }
  EXPECT_THAT(ranges, ::testing::ElementsAre("/200", "bytes=300000-/206"));
}

TEST_F(HubTest, ResumesInTheNextPullAfterAFailedOne) {
  SetFaults(R"({"drop_after": {"model.safetensors": 300000}})");
  PullOptions once = Options();
  once.retry.max_attempts = 1;
  once.retry.max_resumes = 0;
  once.include = {"model.safetensors"};
  absl::StatusOr<PullResult> failed = PullModel("Org/Model", once);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr(endpoint_));
  const std::string& content = files1_copy_["model.safetensors"];
  const fs::path incomplete = RepoDir() / "blobs" / (Sha256Hex(content) + ".incomplete");
  ASSERT_TRUE(fs::exists(incomplete));
  EXPECT_EQ(fs::file_size(incomplete), 300000u);
  EXPECT_FALSE(fs::exists(RepoDir() / "snapshots" / kC1 / "model.safetensors"));
  EXPECT_FALSE(fs::exists(RepoDir() / "refs" / "main"));

  ClearLog();
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSnapshot(kC1, files1_copy_);
  bool resumed = false;
  for (const LogEntry& e : BodyRequests()) {
    if (absl::StrContains(e.path, "model.safetensors")) {
      EXPECT_EQ(e.range, "bytes=300000-");
      EXPECT_EQ(e.status, 206);
      resumed = true;
    }
  }
  EXPECT_TRUE(resumed);
  int64_t small = 0;  // each distinct small blob once
  std::set<std::string> seen;
  for (const auto& [path, c] : files1_copy_) {
    if (!IsLfs(path) && seen.insert(Etag(path, c)).second) small += static_cast<int64_t>(c.size());
  }
  EXPECT_EQ(r->bytes_downloaded, static_cast<int64_t>(content.size()) - 300000 + small);
}

TEST_F(HubTest, ServerIgnoringRangeRestartsTheFile) {
  // A stale partial file whose bytes are wrong: only a full restart can produce the right blob.
  const std::string& content = files1_copy_["model.safetensors"];
  WriteFile(RepoDir() / "blobs" / (Sha256Hex(content) + ".incomplete"), std::string(5000, 'x'));
  SetFaults(R"({"ignore_range": ["model.safetensors"]})");
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSnapshot(kC1, files1_copy_);
  bool saw = false;
  for (const LogEntry& e : BodyRequests()) {
    if (absl::StartsWith(e.path, "/cdn/")) {
      EXPECT_EQ(e.range, "bytes=5000-");
      EXPECT_EQ(e.status, 200);
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
}

TEST_F(HubTest, CorruptDownloadFailsAndLeavesNoSnapshot) {
  SetFaults(R"({"corrupt": ["model.safetensors"]})");
  ProcessResult r = RunLateral({"pull", "Org/Model"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.out, "");
  std::string bad = files1_copy_["model.safetensors"];
  bad[0] = static_cast<char>(bad[0] ^ 0xFF);
  EXPECT_THAT(r.err, HasSubstr("model.safetensors"));
  EXPECT_THAT(r.err, HasSubstr("checksum mismatch"));
  EXPECT_THAT(r.err, HasSubstr(Sha256Hex(files1_copy_["model.safetensors"])));
  EXPECT_THAT(r.err, HasSubstr(Sha256Hex(bad)));
  EXPECT_FALSE(fs::exists(RepoDir() / "snapshots"));
  EXPECT_FALSE(fs::exists(RepoDir() / "refs" / "main"));
  for (auto& entry : fs::directory_iterator(RepoDir() / "blobs")) {
    EXPECT_NE(entry.path().filename().string().rfind(Sha256Hex(files1_copy_["model.safetensors"]), 0), 0u)
        << "corrupt blob kept: " << entry.path();
  }
}

TEST_F(HubTest, CorruptSmallFileFailsOnGitBlobSha1) {
  SetFaults(R"({"corrupt": ["tokenizer.json"]})");
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsDataLoss(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("tokenizer.json"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(GitBlobSha1(files1_copy_["tokenizer.json"])));
}

TEST_F(HubTest, RetriesServerErrors) {
  SetFaults(R"({"status": {"config.json": [503, 500]}})");
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSnapshot(kC1, files1_copy_);
  int config_requests = 0;
  for (const LogEntry& e : BodyRequests()) config_requests += absl::StrContains(e.path, "config.json");
  EXPECT_EQ(config_requests, 3);
}

TEST_F(HubTest, PersistentServerErrorFails) {
  SetFaults(R"({"status": {"config.json": [503, 503, 503, 503, 503, 503]}})");
  absl::StatusOr<PullResult> r = PullModel("Org/Model", Options());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("503"));
}

TEST_F(HubTest, UnknownRepoAndRevisionAreNamed) {
  ProcessResult r = RunLateral({"pull", "Org/Nope"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_THAT(r.err, HasSubstr("Org/Nope"));
  EXPECT_THAT(r.err, HasSubstr("not found"));
  r = RunLateral({"pull", "Org/Model@no-such-branch"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_THAT(r.err, HasSubstr("revision \"no-such-branch\""));
  EXPECT_THAT(r.err, HasSubstr("not found"));
  EXPECT_FALSE(fs::exists(cache_ / "models--Org--Nope" / "snapshots"));
}

TEST_F(HubTest, GatedRepoNeedsToken) {
  ProcessResult r = RunLateral({"pull", "Org/Gated"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_THAT(r.err, HasSubstr("401"));
  EXPECT_THAT(r.err, HasSubstr("HF_TOKEN"));
  EXPECT_THAT(r.err, HasSubstr("gated"));

  r = RunLateral({"pull", "Org/Gated", "--quiet"}, {{"HF_TOKEN", "wrong"}});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_THAT(r.err, HasSubstr("no access"));

  // The token file under HF_HOME is read when HF_TOKEN is unset.
  WriteFile(home_ / "token", "secret-token\n");
  ClearLog();
  r = RunLateral({"pull", "Org/Gated", "--quiet"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_EQ(r.out, (cache_ / "models--Org--Gated" / "snapshots" / kC1).string() + "\n");
  for (const LogEntry& e : Log()) {
    if (!absl::StartsWith(e.path, "/cdn/")) {
      EXPECT_TRUE(e.auth) << e.path;
    }
  }
}

TEST_F(HubTest, UnreachableEndpointIsNamed) {
  PullOptions o = Options();
  o.endpoint = "http://127.0.0.1:1";
  o.retry.max_attempts = 2;
  absl::StatusOr<PullResult> r = PullModel("Org/Model", o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cannot reach the hub at http://127.0.0.1:1"));
}

TEST_F(HubTest, IncludeSelectsFiles) {
  ProcessResult r = RunLateral({"pull", "Org/Model", "--include", "*.json, sub/*", "--quiet"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  std::map<std::string, std::string> want = files1_copy_;
  want.erase("model.safetensors");
  ExpectSnapshot(kC1, want);
  for (const LogEntry& e : Log()) EXPECT_FALSE(absl::StrContains(e.path, "safetensors")) << e.path;

  r = RunLateral({"pull", "Org/Model", "--include", "*.gguf"});
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_THAT(r.err, HasSubstr("no file matching --include"));
}

TEST_F(HubTest, BadCommandLines) {
  EXPECT_EQ(RunLateral({"pull"}).exit_code(), 2);
  EXPECT_EQ(RunLateral({"pull", "not-a-repo-id"}).exit_code(), 2);
  EXPECT_EQ(RunLateral({"pull", "Org/Model@v1", "--revision", "main"}).exit_code(), 2);
  EXPECT_EQ(RunLateral({"pull", "Org/Model", "--revision", "../../x"}).exit_code(), 1);
}

TEST_F(HubTest, CtrlCKeepsThePartialFileForTheNextPull) {
  SetFaults(R"({"slow": {"model.safetensors": 400000}})");  // ~2.6 s for 1 MiB
  std::vector<std::string> argv = {std::string(LATERAL_BINARY_DIR) + "/cli/lateral", "pull", "Org/Model"};
  const std::string err_path = (dir_ / "stderr").string();
  pid_t pid = Spawn(argv, CliEnv(), (dir_ / "stdout").string(), err_path);
  const fs::path incomplete =
      RepoDir() / "blobs" / (Sha256Hex(files1_copy_["model.safetensors"]) + ".incomplete");
  std::error_code ec;
  for (int i = 0; i < 500; ++i) {  // up to 10 s on a loaded machine
    if (fs::exists(incomplete, ec) && fs::file_size(incomplete, ec) > 100000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(fs::file_size(incomplete, ec), 100000u);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_THAT(ReadFile(err_path), HasSubstr("interrupted"));
  const uintmax_t kept = fs::file_size(incomplete, ec);
  EXPECT_GT(kept, 100000u);
  EXPECT_LT(kept, files1_copy_["model.safetensors"].size());
  EXPECT_FALSE(fs::exists(RepoDir() / "snapshots" / kC1 / "model.safetensors"));

  SetFaults("{}");
  ClearLog();
  ProcessResult r = RunLateral({"pull", "Org/Model", "--quiet"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  ExpectSnapshot(kC1, files1_copy_);
  bool resumed = false;
  for (const LogEntry& e : BodyRequests()) {
    resumed = resumed || (absl::StartsWith(e.path, "/cdn/") && e.range == "bytes=" + std::to_string(kept) + "-" &&
                          e.status == 206);
  }
  EXPECT_TRUE(resumed);
}

TEST_F(HubTest, ListShowsCachedModels) {
  ASSERT_EQ(RunLateral({"pull", "Org/Model", "--quiet"}).exit_code(), 0);
  ASSERT_EQ(RunLateral({"pull", "Org/Model@v1", "--quiet"}).exit_code(), 0);
  absl::StatusOr<std::vector<CachedModel>> models = ListCachedModels(cache_.string());
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_EQ(models->size(), 1u);
  const CachedModel& m = (*models)[0];
  EXPECT_EQ(m.repo_id, "Org/Model");
  EXPECT_EQ(m.refs, (std::vector<std::string>{"main", "v1"}));
  EXPECT_EQ(m.snapshots, (std::vector<std::string>{kC1, kC2}));
  int64_t distinct = 0;  // each blob once: the two commits share all but config.json
  std::set<std::string> seen;
  for (const auto* files : {&files1_copy_, &files2_copy_}) {
    for (const auto& [p, c] : *files) {
      if (seen.insert(Etag(p, c)).second) distinct += static_cast<int64_t>(c.size());
    }
  }
  EXPECT_EQ(m.size_bytes, distinct);

  ProcessResult r = RunLateral({"pull", "--list"});
  ASSERT_EQ(r.exit_code(), 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Org/Model"));
  EXPECT_THAT(r.out, HasSubstr("main,v1"));
  EXPECT_TRUE(ListCachedModels((dir_ / "missing").string())->empty());
}

TEST_F(HubTest, ResolveModelPathFindsSnapshots) {
  ASSERT_TRUE(PullModel("Org/Model", Options()).ok());
  PullOptions v1 = Options();
  v1.revision = "v1";
  ASSERT_TRUE(PullModel("Org/Model", v1).ok());
  const std::string snap1 = (RepoDir() / "snapshots" / kC1).string();
  const std::string snap2 = (RepoDir() / "snapshots" / kC2).string();
  EXPECT_EQ(ResolveModelPathIn("Org/Model", cache_.string()).value_or(""), snap1);
  EXPECT_EQ(ResolveModelPathIn("Org/Model@main", cache_.string()).value_or(""), snap1);
  EXPECT_EQ(ResolveModelPathIn("Org/Model@v1", cache_.string()).value_or(""), snap2);
  EXPECT_EQ(ResolveModelPathIn("Org/Model@" + kC2, cache_.string()).value_or(""), snap2);
  EXPECT_EQ(ResolveModelPathIn("Org/Model@" + kC2.substr(0, 7), cache_.string()).value_or(""), snap2);
  // Through the environment, as commands call it.
  setenv("HF_HUB_CACHE", cache_.c_str(), 1);
  EXPECT_EQ(ResolveModelPath("Org/Model@v1").value_or(""), snap2);
  unsetenv("HF_HUB_CACHE");
  // The snapshot is a loadable directory: config.json is the served one.
  EXPECT_EQ(ReadFile(fs::path(snap2) / "config.json"), files2_copy_["config.json"]);
}

TEST_F(HubTest, ResolveModelPathErrors) {
  ASSERT_TRUE(PullModel("Org/Model", Options()).ok());
  absl::StatusOr<std::string> r = ResolveModelPathIn("Org/Other", cache_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsNotFound(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("lateral pull Org/Other"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr((cache_ / "models--Org--Other" / "refs" / "main").string()));

  r = ResolveModelPathIn("Org/Model@v9", cache_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsNotFound(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--revision v9"));

  r = ResolveModelPathIn("Org/Model@" + std::string(40, 'c'), cache_.string());
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();

  // A snapshot without config.json (an --include pull) is not a model.
  fs::remove(RepoDir() / "snapshots" / kC1 / "config.json");
  r = ResolveModelPathIn("Org/Model", cache_.string());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
}

TEST(ResolveModelPathTest, PlainDirectories) {
  char tmpl[] = "/tmp/lateral-hub-dir-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  const fs::path model = dir / "my-model";
  WriteFile(model / "config.json", "{}");
  EXPECT_EQ(ResolveModelPath(model.string()).value_or(""), model.string());
  // A relative directory that looks like a repo id is a directory first.
  fs::create_directories(dir / "Org" / "Name");
  WriteFile(dir / "Org" / "Name" / "config.json", "{}");
  const fs::path old = fs::current_path();
  fs::current_path(dir);
  EXPECT_EQ(ResolveModelPathIn("Org/Name", (dir / "empty-cache").string()).value_or(""), "Org/Name");
  fs::current_path(old);

  fs::create_directories(dir / "not-a-model");
  absl::StatusOr<std::string> r = ResolveModelPath((dir / "not-a-model").string());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr((dir / "not-a-model").string()));

  r = ResolveModelPath((dir / "missing" / "deeper" / "x").string());
  EXPECT_TRUE(absl::IsNotFound(r.status()));
  fs::remove_all(dir);
}

TEST(HubCacheRootTest, EnvironmentPrecedence) {
  const char* names[] = {"HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"};
  std::map<std::string, std::optional<std::string>> saved;
  for (const char* n : names) saved[n] = std::getenv(n) ? std::optional<std::string>(std::getenv(n)) : std::nullopt;
  setenv("HOME", "/h", 1);
  unsetenv("HF_HUB_CACHE");
  unsetenv("HF_HOME");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(HubCacheRoot(), "/h/.cache/huggingface/hub");
  setenv("XDG_CACHE_HOME", "/x", 1);
  EXPECT_EQ(HubCacheRoot(), "/x/huggingface/hub");
  setenv("HF_HOME", "/hf", 1);
  EXPECT_EQ(HubCacheRoot(), "/hf/hub");
  setenv("HF_HUB_CACHE", "/c", 1);
  EXPECT_EQ(HubCacheRoot(), "/c");
  setenv("HF_HUB_CACHE", "", 1);  // empty counts as unset
  EXPECT_EQ(HubCacheRoot(), "/hf/hub");
  for (const auto& [n, v] : saved) {
    if (v) setenv(n.c_str(), v->c_str(), 1); else unsetenv(n.c_str());
  }
}

TEST(RepoSpecTest, Parsing) {
  EXPECT_TRUE(LooksLikeRepoId("LiquidAI/LFM2-ColBERT-350M"));
  EXPECT_TRUE(LooksLikeRepoId("LiquidAI/LFM2-1.2B-RAG@main"));
  EXPECT_FALSE(LooksLikeRepoId("/abs/path"));
  EXPECT_FALSE(LooksLikeRepoId("a/b/c"));
  EXPECT_FALSE(LooksLikeRepoId("../x"));
  EXPECT_FALSE(LooksLikeRepoId("a/b@"));
  absl::StatusOr<RepoSpec> s = ParseRepoSpec("LiquidAI/LFM2-1.2B-RAG@v1.0");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->repo_id, "LiquidAI/LFM2-1.2B-RAG");
  EXPECT_EQ(s->revision, "v1.0");
  EXPECT_EQ(RepoFolderName("LiquidAI/LFM2-ColBERT-350M"), "models--LiquidAI--LFM2-ColBERT-350M");
}

}  // namespace
}  // namespace lateral::cli

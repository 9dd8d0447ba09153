// `lateral init / add / search / ls / info / rm / reindex` as people and
// scripts use them: a real binary, real folders, exit codes, --json output.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
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

class CollectionCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrCat("lateral-coll-", ::getpid(), "-", counter_++);
    fs::create_directories(dir_ / "home");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  void Write(const std::string& name, const std::string& content) {
    fs::create_directories(fs::path(Path(name)).parent_path());
    std::ofstream(Path(name), std::ios::binary) << content;
  }

  // `cd DIR/cwd && lateral ARGS`, with a private HOME / XDG_CONFIG_HOME so
  // that no user config leaks in, and colours off.
  // `prefix` runs in the same shell first (limits, traps).
  Outcome Lateral(const std::string& args, const std::string& cwd = "", const std::string& prefix = "") {
    fs::create_directories(Path(cwd.empty() ? "." : cwd));
    const std::string cmd = absl::StrCat(
        "cd ", Quote(Path(cwd)), " && ", prefix, "env -u LATERAL_COLLECTION HOME=", Quote(Path("home")),
        " XDG_CONFIG_HOME=", Quote(Path("home/.config")), " NO_COLOR=1 ", LATERAL_BINARY_DIR, "/cli/lateral ", args,
        " >", Quote(Path("stdout")), " 2>", Quote(Path("stderr")), " </dev/null");
    int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = ReadFileToString(Path("stdout")).value_or("");
    o.err = ReadFileToString(Path("stderr")).value_or("");
    return o;
  }

  Json JsonOf(const Outcome& o) {
    absl::StatusOr<Json> json = ParseJson(o.out, "stdout");
    EXPECT_TRUE(json.ok()) << json.status() << "\n" << o.out << o.err;
    return json.ok() ? *json : Json();
  }

  // The `path` of every hit of `lateral search ... --json`, best first.
  std::vector<std::string> HitPaths(const std::string& args) {
    Outcome o = Lateral(absl::StrCat("search --json ", args));
    EXPECT_EQ(o.exit_code, 0) << o.err;
    std::vector<std::string> paths;
    for (const Json& hit : JsonOf(o)) paths.push_back(fs::path(hit["path"].get<std::string>()).filename().string());
    return paths;
  }

  void WriteNotes() {
    Write("notes/tar.md",
          "# Archives\n\nTo extract a tar archive, run tar with the x flag.\n\n"
          "Compressed archives need the z flag as well.\n");
    Write("notes/garten.txt", "Im Garten wachsen Tomaten und Gurken.\nDie Tomaten brauchen viel Sonne.\n");
    Write("notes/sub/panda.html",
          "<html lang=\"zh\"><head><title>熊猫</title><script>var tomato = 1;</script></head>"
          "<body><p>大熊猫是中国特有的动物。</p><p>它们主要吃竹子。</p></body></html>");
    Write("notes/.gitignore", "secret.txt\n");
    Write("notes/secret.txt", "tomato secret that must not be indexed\n");
    Write("notes/empty.txt", "");
    Write("notes/blob.txt", std::string("\x00\x01\x02\x03 binary", 11));
    Write("records.jsonl",
          "{\"id\": \"r1\", \"text\": \"Tomatensuppe mit Basilikum\", \"lang\": \"de\"}\n"
          "{\"id\": \"r2\", \"text\": \"Tomato soup with basil\", \"lang\": \"en\"}\n");
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_F(CollectionCliTest, InitAddSearchListAndRemove) {
  WriteNotes();
  Outcome o = Lateral("init");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(fs::exists(Path(".lateral/config.toml")));
  o = Lateral("init");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("already"));

  o = Lateral("add notes records.jsonl --metadata-fields lang --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json summary = JsonOf(o);
  EXPECT_EQ(summary["added"], 6) << o.out;  // tar, garten, panda, empty, blob, records; not the ignored secret
  std::set<std::string> skipped;
  for (const Json& s : summary["skipped"]) skipped.insert(fs::path(s["path"].get<std::string>()).filename().string() +
                                                         ": " + s["reason"].get<std::string>());
  EXPECT_TRUE(skipped.count("empty.txt: empty file")) << summary.dump();
  EXPECT_TRUE(skipped.count("blob.txt: binary file")) << summary.dump();

  EXPECT_EQ(HitPaths("extract a tar archive").at(0), "tar.md");
  EXPECT_EQ(HitPaths("Tomaten Garten").at(0), "garten.txt");
  EXPECT_EQ(HitPaths("熊猫 竹子").at(0), "panda.html");
  std::vector<std::string> tomato = HitPaths("tomato");
  EXPECT_EQ(std::count(tomato.begin(), tomato.end(), "secret.txt"), 0);   // ignored by .gitignore
  EXPECT_EQ(std::count(tomato.begin(), tomato.end(), "panda.html"), 0);   // <script> text is not text
  // Filters: metadata, path globs.
  std::vector<std::string> german = HitPaths("--where 'lang = de' Tomatensuppe soup");
  ASSERT_EQ(german.size(), 1u);
  EXPECT_EQ(german[0], "records.jsonl");
  EXPECT_THAT(HitPaths("--path 'notes/sub/**' 大熊猫 tar Tomaten"), ::testing::ElementsAre("panda.html"));

  // Line spans point into the file.
  o = Lateral("search --json -k 1 'compressed archives z flag'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json hit = JsonOf(o)[0];
  EXPECT_EQ(hit["line"], 1);
  EXPECT_EQ(hit["line_end"], 5);
  // For a UTF-8 text file, the byte range points at the passage in the file.
  o = Lateral("search --json -k 1 'Tomaten brauchen Sonne'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  hit = JsonOf(o)[0];
  const std::string file = ReadFileToString(Path("notes/garten.txt")).value();
  const int64_t begin = hit["metadata"]["byte"], end = hit["metadata"]["byte_end"];
  EXPECT_EQ(file.substr(begin, end - begin), hit["text"].get<std::string>());

  o = Lateral("ls --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 6);  // empty and binary files are recorded, with no passages
  o = Lateral("info --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json info = JsonOf(o);
  EXPECT_EQ(info["passages"], 5);
  EXPECT_EQ(info["encoder"], "");
  EXPECT_GT(info["bytes_per_token"].get<double>(), 0);

  // Unchanged files are not re-read; a changed one is; a deleted one goes.
  o = Lateral("add notes records.jsonl --metadata-fields lang --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(JsonOf(o)["unchanged"], 6);
  EXPECT_EQ(JsonOf(o)["added"], 0);
  Write("notes/garten.txt", "Im Garten wachsen jetzt Kartoffeln.\n");
  fs::remove(Path("notes/sub/panda.html"));
  o = Lateral("add notes --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(JsonOf(o)["updated"], 1);
  EXPECT_EQ(JsonOf(o)["removed"], 1);
  EXPECT_TRUE(HitPaths("熊猫").empty());
  EXPECT_EQ(HitPaths("Kartoffeln").at(0), "garten.txt");
  EXPECT_TRUE(HitPaths("Gurken").empty());

  // rm takes files out of the collection, not off the disk.
  o = Lateral("rm notes/tar.md");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(HitPaths("tar archive").empty());
  EXPECT_TRUE(fs::exists(Path("notes/tar.md")));
  o = Lateral("rm notes/tar.md");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("tar.md"));

  // From a subfolder, the collection is found upwards, like git.
  o = Lateral("search --json Kartoffeln", "notes/sub");
  EXPECT_EQ(o.exit_code, 0) << o.err;
}

TEST_F(CollectionCliTest, UsageErrorsAndMissingCollections) {
  Outcome o = Lateral("search --no-such-flag x");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--no-such-flag"));
  o = Lateral("search anything", "elsewhere");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("lateral init"));
  ASSERT_EQ(Lateral("init").exit_code, 0);
  o = Lateral("search --mode colbert x");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("ColBERT model"));
  o = Lateral("add does-not-exist");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("does-not-exist"));
  Write(".lateral/config.toml", "[search]\nk = \"ten\"\n");
  o = Lateral("search x");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("config.toml:2"));
}

TEST_F(CollectionCliTest, AFailingFileIsListedAndTheOthersLand) {
  Write("docs/good.txt", "Perfectly readable text about lighthouses.\n");
  Write("docs/broken.pdf", "%PDF-1.4\nthis is not really a pdf at all");
  ASSERT_EQ(Lateral("init").exit_code, 0);
  Outcome o = Lateral("add docs");
  EXPECT_EQ(o.exit_code, 3) << o.err;
  EXPECT_THAT(o.err, HasSubstr("broken.pdf"));
  EXPECT_EQ(HitPaths("lighthouses").at(0), "good.txt");
}

TEST_F(CollectionCliTest, AWriterLockKeepsOtherWritersOutButNotSearches) {
  Write("docs/a.txt", "Seashells on the seashore.\n");
  ASSERT_EQ(Lateral("init").exit_code, 0);
  ASSERT_EQ(Lateral("add docs").exit_code, 0);
  {
    absl::StatusOr<std::unique_ptr<CollectionStore>> writer =
        CollectionStore::Open(Path(".lateral/store"), std::nullopt);
    ASSERT_TRUE(writer.ok()) << writer.status();
    Outcome o = Lateral("add docs");
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_THAT(o.err, HasSubstr("another"));
    EXPECT_EQ(HitPaths("seashells").at(0), "a.txt");
  }
  EXPECT_EQ(Lateral("add docs").exit_code, 0);
}

TEST_F(CollectionCliTest, KilledIngestLeavesAConsistentCollectionThatTheNextRunCompletes) {
  const int kFiles = 3000;
  for (int i = 0; i < kFiles; ++i) {
    std::string text;
    for (int s = 0; s < 40; ++s) absl::StrAppend(&text, "Sentence ", s, " of document ", i, " mentions word", i, ".\n");
    Write(absl::StrCat("bulk/f", i, ".txt"), text);
  }
  ASSERT_EQ(Lateral("init").exit_code, 0);
  // Start an ingest in the background and kill -9 it mid-way.
  const std::string cmd = absl::StrCat("cd ", Quote(Path("")), " && HOME=", Quote(Path("home")), " exec ",
                                       LATERAL_BINARY_DIR, "/cli/lateral add bulk --quiet");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);

  // Whatever landed is whole: every listed source's passages are searchable.
  Outcome o = Lateral("info --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const int64_t passages_after_kill = JsonOf(o)["passages"];
  o = Lateral("add bulk --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json summary = JsonOf(o);
  EXPECT_EQ(summary["added"].get<int64_t>() + summary["unchanged"].get<int64_t>(), kFiles);
  EXPECT_GT(summary["added"].get<int64_t>(), 0) << "the kill came after the ingest had finished";
  o = Lateral("info --json");
  Json info = JsonOf(o);
  EXPECT_EQ(info["sources"], kFiles);
  EXPECT_GE(info["passages"].get<int64_t>(), passages_after_kill);
  for (int i : {0, 17, kFiles - 1}) {
    std::vector<std::string> hits = HitPaths(absl::StrCat("-k 1 word", i));
    ASSERT_EQ(hits.size(), 1u) << i;
    EXPECT_EQ(hits[0], absl::StrCat("f", i, ".txt"));
  }
}

// A file size limit stands in for a full disk: with SIGXFSZ ignored, a write
// past RLIMIT_FSIZE fails with EFBIG where a full disk fails with ENOSPC, and
// RocksDB handles both as the same I/O error. The write-ahead log outgrows the
// limit a few groups into the run.
TEST_F(CollectionCliTest, ADiskThatFillsUpMidIngestLosesNothingAndTheNextRunCompletes) {
  const int kFiles = 2100;  // three groups of writes; the second one fails
  for (int i = 0; i < kFiles; ++i) {
    std::string text;
    for (int s = 0; s < 10; ++s) absl::StrAppend(&text, "Line ", s, " of file ", i, " names token", i, " and more words.\n");
    Write(absl::StrCat("bulk/d", i % 7, "/f", i, ".txt"), text);
  }
  ASSERT_EQ(Lateral("init").exit_code, 0);
  Outcome full = Lateral("add bulk --quiet", "", /*prefix=*/"trap '' XFSZ; ulimit -f 4096; ");
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  EXPECT_THAT(full.err, HasSubstr("File too large")) << full.err;
  EXPECT_THAT(full.err, HasSubstr(".lateral")) << "the message names the store";

  // What landed is whole and searchable; the collection opens and reports.
  Outcome o = Lateral("info --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const int64_t sources_after_failure = JsonOf(o)["sources"];
  EXPECT_GT(sources_after_failure, 0) << "the limit came before the first group landed";
  EXPECT_LT(sources_after_failure, kFiles) << "the limit did not interrupt the run";
  o = Lateral("ls --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::vector<std::string> lines = absl::StrSplit(o.out, '\n', absl::SkipEmpty());
  EXPECT_EQ(static_cast<int64_t>(lines.size()), sources_after_failure);
  for (size_t i = 0; i < lines.size(); i += 97) {  // a sample: each search is a process
    absl::StatusOr<Json> source = ParseJson(lines[i], "ls --json");
    ASSERT_TRUE(source.ok()) << source.status();
    const std::string name = fs::path((*source)["path"].get<std::string>()).filename().string();
    const std::string number = name.substr(1, name.size() - 5);  // f123.txt -> 123
    std::vector<std::string> hits = HitPaths(absl::StrCat("-k 1 token", number));
    ASSERT_EQ(hits.size(), 1u) << name;
    EXPECT_EQ(hits[0], name);
  }

  // With room again, the next run completes the collection.
  o = Lateral("add bulk --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = Lateral("info --json");
  EXPECT_EQ(JsonOf(o)["sources"], kFiles);
  for (int i : {0, 301, kFiles - 1}) {
    std::vector<std::string> hits = HitPaths(absl::StrCat("-k 1 token", i));
    ASSERT_EQ(hits.size(), 1u) << i;
    EXPECT_EQ(hits[0], absl::StrCat("f", i, ".txt"));
  }
}

TEST_F(CollectionCliTest, ColbertCollectionSearchesInEveryModeAndReindexes) {
  Write("docs/tar.md", "# Archives\n\nTo extract a tar archive, run tar with the x flag.\n");
  Write("docs/garten.txt", "Im Garten wachsen Tomaten und Gurken.\n");
  Write("docs/panda.md", "大熊猫是中国特有的动物。它们主要吃竹子。\n");
  Outcome o = Lateral(absl::StrCat("init --model ", TestDataPath("colbert-tiny")));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = Lateral("add docs --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(JsonOf(o)["vectors"].get<int64_t>(), 0);
  for (const char* mode : {"colbert", "hybrid", "rerank", "bm25"}) {
    o = Lateral(absl::StrCat("search --json --mode ", mode, " 'tar archive'"));
    ASSERT_EQ(o.exit_code, 0) << mode << o.err;
    Json hits = JsonOf(o);
    ASSERT_FALSE(hits.empty()) << mode;
    if (std::string(mode) != "colbert") {
      // The random-weight fixture model ranks arbitrarily; BM25's part must show.
      EXPECT_EQ(fs::path(hits[0]["path"].get<std::string>()).filename(), "tar.md") << mode;
    }
  }
  o = Lateral("info --json");
  Json info = JsonOf(o);
  EXPECT_GT(info["vectors"].get<int64_t>(), 0);
  EXPECT_GT(info["centroids"].get<int64_t>(), 0);

  // `add` left a mapped index that search maps instead of loading the store.
  const std::string mapped = Path(".lateral/store/lateral-search.index");
  ASSERT_TRUE(fs::exists(mapped));
  EXPECT_EQ(JsonOf(Lateral("info --json"))["search_index_bytes"].get<uint64_t>(), fs::file_size(mapped));
  o = Lateral("search --json --explain --mode colbert 'tar archive'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json explained = JsonOf(o);
  EXPECT_TRUE(explained["timings_ms"].contains("map index")) << explained["timings_ms"].dump();
  EXPECT_FALSE(explained["timings_ms"].contains("load index"));
  // Per-token matches: each names a passage token, and its span is that token.
  ASSERT_FALSE(explained["hits"].empty());
  for (const Json& hit : explained["hits"]) {
    const std::string text = hit["text"];
    const Json& matches = hit["token_matches"];
    std::string query_again;
    for (const Json& m : matches["tokens"]) {
      query_again += m["query_token"].get<std::string>();
      EXPECT_LE(m["similarity"].get<float>(), 1.0001f);
      if (!m.contains("byte")) continue;  // BOS or the marker
      const size_t begin = m["byte"], end = m["byte_end"];
      ASSERT_LE(end, text.size());
      EXPECT_EQ(text.substr(begin, end - begin), m["passage_token"].get<std::string>());
    }
    EXPECT_EQ(query_again, "tar archive") << "one match per query token, in order";
    // The exact score adds the expansion tokens' maxima to the real tokens'.
    EXPECT_NE(matches["exact_score"].get<float>(), 0.0f);
  }
  // Filters work on a mapped index (it has no metadata columns).
  o = Lateral("search --json --mode colbert --where 'format=md' -k 10 x");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json filtered = JsonOf(o);
  EXPECT_EQ(filtered.size(), 2u) << filtered.dump();
  for (const Json& hit : filtered) EXPECT_EQ(hit["metadata"]["format"], "md");
  // A stale file (the store changed after it was written) is not used: search
  // loads the store and rewrites it.
  const std::string old_index = Path("old.index");
  fs::copy_file(mapped, old_index);
  Write("docs/more.txt", "Another document about archives.\n");
  ASSERT_EQ(Lateral("add docs --quiet").exit_code, 0);
  fs::copy_file(old_index, mapped, fs::copy_options::overwrite_existing);
  Json stale = JsonOf(Lateral("search --json --explain --mode colbert archive"));
  EXPECT_TRUE(stale["timings_ms"].contains("load index")) << stale["timings_ms"].dump();
  EXPECT_TRUE(stale["timings_ms"].contains("write mapped index")) << stale["timings_ms"].dump();
  Json fresh = JsonOf(Lateral("search --json --explain --mode colbert archive"));
  EXPECT_TRUE(fresh["timings_ms"].contains("map index")) << fresh["timings_ms"].dump();
  EXPECT_EQ(fresh["hits"].size(), 4u);
  ASSERT_EQ(Lateral("rm docs/more.txt").exit_code, 0);
  fresh = JsonOf(Lateral("search --json --explain --mode colbert archive"));
  EXPECT_TRUE(fresh["timings_ms"].contains("map index")) << "rm refreshes the mapped index";
  EXPECT_EQ(fresh["hits"].size(), 3u);

  o = Lateral("reindex --no-model --quiet");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  info = JsonOf(Lateral("info --json"));
  EXPECT_EQ(info["encoder"], "");
  EXPECT_EQ(info["passages"], 3);
  EXPECT_EQ(HitPaths("Tomaten").at(0), "garten.txt");
  o = Lateral(absl::StrCat("reindex --quiet --model ", TestDataPath("colbert-tiny")));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  info = JsonOf(Lateral("info --json"));
  EXPECT_NE(info["encoder"], "");
  EXPECT_EQ(Lateral("search --mode colbert x").exit_code, 0);
  EXPECT_EQ(Lateral("search --mode colbert --precision int8 x").exit_code, 0);
  o = Lateral("search --mode colbert --precision q4_0 x");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--precision"));
  Write(".lateral/config.toml", "[model]\nprecision = \"half\"\n");
  o = Lateral("search --mode colbert x");
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr("config.toml:2: model.precision is \"half\""));
}

}  // namespace
}  // namespace lateral

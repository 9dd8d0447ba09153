// WalkPaths on real temporary trees: ignore files (nested, negated, directory-only, anchored,
// from a git repository's parents), include/exclude globs, hidden and VCS directories, symlinks
// and loops, unreadable entries, FIFOs and sockets, size limits, overlapping roots and named
// files. Expected file lists are written out by hand from the rules in file_walker.h.
#include "ingest/walk/file_walker.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lateral::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class TempTree {
 public:
  TempTree() {
    std::string tmpl = "/tmp/lateral_walk_XXXXXX";
    root_ = mkdtemp(tmpl.data());
  }
  ~TempTree() {
    // Give back permissions a test took away, so the tree can be removed.
    for (const std::string& p : locked_) chmod(p.c_str(), 0755);
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  const std::string& root() const { return root_; }
  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }

  void File(const std::string& rel, const std::string& contents = "x") {
    std::filesystem::create_directories(std::filesystem::path(Path(rel)).parent_path());
    std::ofstream(Path(rel), std::ios::binary) << contents;
  }
  void Dir(const std::string& rel) { std::filesystem::create_directories(Path(rel)); }
  void Symlink(const std::string& rel, const std::string& target) {
    ASSERT_EQ(symlink(target.c_str(), Path(rel).c_str()), 0) << rel;
  }
  void Lock(const std::string& rel) {
    locked_.push_back(Path(rel));
    ASSERT_EQ(chmod(Path(rel).c_str(), 0), 0);
  }

 private:
  std::string root_;
  std::vector<std::string> locked_;
};

struct Result {
  absl::Status status;
  std::vector<std::string> files;  // relative paths, in callback order
  std::vector<WalkedFile> walked;
  std::vector<std::pair<std::string, std::string>> skipped;  // (path, reason)
};

Result Walk(const std::vector<std::string>& paths, const WalkOptions& options = {}) {
  Result r;
  r.status = WalkPaths(
      paths, options,
      [&r](const WalkedFile& f) {
        r.files.push_back(f.relative_path);
        r.walked.push_back(f);
      },
      [&r](const SkippedPath& s) { r.skipped.emplace_back(s.path, s.reason); });
  return r;
}

// A tree exercising every ignore-file rule; the expected list is reasoned out line by line.
void BuildIgnoreTree(TempTree& t) {
  t.File(".gitignore",
         "# comment\n*.log\n!keep.log\nbuild/\n/root-only.txt\nsecret\n!build/x.txt\n");
  t.File("Zed.txt");        // kept; sorts before "a.txt" (byte-wise)
  t.File("a.txt");          // kept
  t.File("b.log");          // *.log
  t.File("keep.log");       // !keep.log re-includes
  t.File("root-only.txt");  // /root-only.txt is anchored at the root
  t.File("build/x.txt");    // build/ excluded: "!build/x.txt" cannot re-include below it
  t.File("build/.ignore", "!x.txt\n");  // never read: the directory is not entered
  t.File("secret");         // "secret" matches files too
  t.File("sub/.ignore", "!b.log\n*.md\n");
  t.File("sub/b.log");      // sub/.ignore re-includes over the parent's *.log
  t.File("sub/build");      // a file: "build/" is for directories only
  t.File("sub/c.md");       // *.md from sub/.ignore
  t.File("sub/root-only.txt");  // not at the root: kept
  t.File("sub/secret/y.txt");   // directory "secret" ignored at any depth
  t.File("sub/deeper/.gitignore", "c.md\nd.txt\n");
  t.File("sub/deeper/.lateralignore", "!c.md\n");  // beats the same directory's .gitignore
  t.File("sub/deeper/c.md");
  t.File("sub/deeper/d.txt");
}

TEST(FileWalkerTest, IgnoreFilesNestedNegatedDirOnlyAnchored) {
  TempTree t;
  BuildIgnoreTree(t);
  Result r = Walk({t.root()});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("Zed.txt", "a.txt", "keep.log", "sub/b.log", "sub/build",
                                   "sub/deeper/c.md", "sub/root-only.txt"));
  EXPECT_THAT(r.skipped, IsEmpty());
  // Deterministic: a second run gives the same sequence.
  EXPECT_EQ(Walk({t.root()}).files, r.files);
}

TEST(FileWalkerTest, IgnoreFilesCanBeTurnedOff) {
  TempTree t;
  BuildIgnoreTree(t);
  WalkOptions o;
  o.use_ignore_files = false;
  Result r = Walk({t.root()}, o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files,
              ElementsAre("Zed.txt", "a.txt", "b.log", "build/x.txt", "keep.log", "root-only.txt",
                          "secret", "sub/b.log", "sub/build", "sub/c.md", "sub/deeper/c.md",
                          "sub/deeper/d.txt", "sub/root-only.txt", "sub/secret/y.txt"));
}

TEST(FileWalkerTest, MalformedIgnoreLineIsReportedAndOthersApply) {
  TempTree t;
  t.File(".gitignore", "[bad\n*.log\n");
  t.File("a.log");
  t.File("b.txt");
  Result r = Walk({t.root()});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("b.txt"));
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].first, t.Path(".gitignore"));
  EXPECT_THAT(r.skipped[0].second, HasSubstr(".gitignore:1:"));
  EXPECT_THAT(r.skipped[0].second, HasSubstr("[bad"));
}

TEST(FileWalkerTest, RulesFromTheGitRepositoryAboveTheRoot) {
  TempTree t;
  t.Dir("repo/.git/info");
  t.File("repo/.git/info/exclude", "*.excl\n");
  t.File("repo/.gitignore", "*.tmp\nsub/skip/\n/sub/top.txt\n");
  t.File("repo/mid/.gitignore", "*.mid\n");
  t.File("repo/sub/a.txt");
  t.File("repo/sub/b.tmp");
  t.File("repo/sub/c.excl");
  t.File("repo/sub/skip/x.txt");  // "sub/skip/" is anchored at the repository root
  t.File("repo/sub/top.txt");
  t.File("repo/mid/sub/y.mid");
  t.File("repo/mid/sub/y.txt");
  Result r = Walk({t.Path("repo/sub")});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("a.txt"));
  Result mid = Walk({t.Path("repo/mid/sub")});
  EXPECT_THAT(mid.files, ElementsAre("y.txt"));
  // From the repository root: .git is never walked, exclude still applies; hidden files come in
  // with include_hidden (the .gitignore files themselves are ordinary hidden files).
  WalkOptions hidden;
  hidden.include_hidden = true;
  Result whole = Walk({t.Path("repo")}, hidden);
  EXPECT_THAT(whole.files, ElementsAre(".gitignore", "mid/.gitignore", "mid/sub/y.txt", "sub/a.txt"));

  // Without a .git the parent's .gitignore is not consulted for a root below it.
  std::filesystem::remove_all(t.Path("repo/.git"));
  Result no_repo = Walk({t.Path("repo/sub")});
  EXPECT_THAT(no_repo.files, ElementsAre("a.txt", "b.tmp", "c.excl", "skip/x.txt", "top.txt"));
}

TEST(FileWalkerTest, IncludeAndExcludeGlobs) {
  TempTree t;
  t.File("docs/a.md");
  t.File("docs/b.txt");
  t.File("docs/deep/e.txt");
  t.File("src/c.md");
  t.File("src/gen/d.md");
  t.File("notes.md");
  t.File("x.txt");
  auto walk = [&](std::vector<std::string> include, std::vector<std::string> exclude) {
    WalkOptions o;
    o.include = std::move(include);
    o.exclude = std::move(exclude);
    Result r = Walk({t.root()}, o);
    EXPECT_TRUE(r.status.ok()) << r.status;
    return r.files;
  };
  EXPECT_THAT(walk({"*.md"}, {}), ElementsAre("docs/a.md", "notes.md", "src/c.md", "src/gen/d.md"));
  EXPECT_THAT(walk({"*.md"}, {"src/gen"}), ElementsAre("docs/a.md", "notes.md", "src/c.md"));
  EXPECT_THAT(walk({"*.md"}, {"gen/"}), ElementsAre("docs/a.md", "notes.md", "src/c.md"));
  EXPECT_THAT(walk({"docs"}, {}), ElementsAre("docs/a.md", "docs/b.txt", "docs/deep/e.txt"));  // a directory
  EXPECT_THAT(walk({"src/**/*.md"}, {}), ElementsAre("src/c.md", "src/gen/d.md"));
  EXPECT_THAT(walk({"*.md"}, {"*.md"}), IsEmpty());  // exclude wins
  EXPECT_THAT(walk({}, {"*.md", "/x.txt"}), ElementsAre("docs/b.txt", "docs/deep/e.txt"));

  WalkOptions bad;
  bad.exclude = {"ok", "[oops"};
  Result r = Walk({t.root()}, bad);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("[oops"));
  EXPECT_THAT(r.files, IsEmpty());
}

TEST(FileWalkerTest, HiddenAndVersionControlDirectories) {
  TempTree t;
  t.File(".hidden.txt");
  t.File(".cfg/a.txt");
  t.File(".git/config");
  t.File(".hg/x");
  t.File(".svn/x");
  t.File(".lateral/x");
  t.File("sub/.git");  // a submodule's .git file is skipped as well
  t.File("visible.txt");
  EXPECT_THAT(Walk({t.root()}).files, ElementsAre("visible.txt"));
  WalkOptions o;
  o.include_hidden = true;
  EXPECT_THAT(Walk({t.root()}, o).files, ElementsAre(".cfg/a.txt", ".hidden.txt", "visible.txt"));
}

TEST(FileWalkerTest, SymlinksNotFollowedByDefault) {
  TempTree t;
  TempTree outside;
  outside.File("o.txt");
  t.File("a/file.txt");
  t.Symlink("a/loop", "..");
  t.Symlink("link.txt", "a/file.txt");
  t.Symlink("out", outside.root());
  t.Symlink("broken", "does-not-exist");
  Result r = Walk({t.root()});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("a/file.txt"));
  EXPECT_THAT(r.skipped,
              ElementsAre(std::pair(t.Path("a/loop"), std::string("symbolic link (not followed)")),
                          std::pair(t.Path("broken"), std::string("symbolic link (not followed)")),
                          std::pair(t.Path("link.txt"), std::string("symbolic link (not followed)")),
                          std::pair(t.Path("out"), std::string("symbolic link (not followed)"))));
}

TEST(FileWalkerTest, FollowedSymlinksDetectLoopsAndDuplicates) {
  TempTree t;
  TempTree outside;
  outside.File("o.txt");
  outside.Symlink("back", t.root());  // out/back leads into the tree again: a loop
  t.File("a/file.txt");
  t.Symlink("a/loop", "..");
  t.Symlink("link.txt", "a/file.txt");  // same inode as a/file.txt: reported once
  t.Symlink("out", outside.root());
  t.Symlink("broken", "does-not-exist");
  WalkOptions o;
  o.follow_symlinks = true;
  Result r = Walk({t.root()}, o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("a/file.txt", "out/o.txt"));
  EXPECT_EQ(r.walked[1].path, t.Path("out/o.txt"));  // the path through the link
  EXPECT_THAT(r.skipped,
              ElementsAre(std::pair(t.Path("a/loop"), std::string("symlink loop")),
                          std::pair(t.Path("broken"), std::string("broken symbolic link")),
                          std::pair(t.Path("out/back"), std::string("symlink loop"))));
}

// Runs the walk as an unprivileged user when the test runs as root (root reads everything).
// Returns false if that is impossible; the reports come back as lines.
bool WalkAsUnprivileged(const std::string& root, std::vector<std::string>* files,
                        std::vector<std::string>* skipped) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
      _exit(3);
    }
    if (geteuid() == 0) _exit(3);
    std::string out;
    absl::Status s = WalkPaths(
        {root}, {}, [&](const WalkedFile& f) { out += "F " + f.relative_path + "\n"; },
        [&](const SkippedPath& p) { out += "S " + p.path + "|" + p.reason + "\n"; });
    if (!s.ok()) out += "E\n";
    if (write(fds[1], out.data(), out.size()) != static_cast<ssize_t>(out.size())) _exit(4);
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buf[4096];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0) in.append(buf, static_cast<size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return false;
  size_t start = 0;
  while (start < in.size()) {
    const size_t nl = in.find('\n', start);
    const std::string line = in.substr(start, nl - start);
    (line[0] == 'F' ? files : skipped)->push_back(line.substr(2));
    start = nl + 1;
  }
  return true;
}

TEST(FileWalkerTest, UnreadableEntriesAreSkippedWithAReason) {
  TempTree t;
  chmod(t.root().c_str(), 0755);  // mkdtemp makes it 0700; the unprivileged walker needs in
  t.File("a.txt");
  t.File("locked/inside.txt");
  t.File("unreadable.txt");
  t.Lock("locked");
  t.Lock("unreadable.txt");
  chmod(t.Path("a.txt").c_str(), 0644);
  std::vector<std::string> files, skipped;
  if (!WalkAsUnprivileged(t.root(), &files, &skipped)) {
    GTEST_SKIP() << "running as root and cannot switch to uid 65534: root reads a mode-000 "
                    "directory, so the permission check cannot be exercised here";
  }
  EXPECT_THAT(files, ElementsAre("a.txt"));
  EXPECT_THAT(skipped, ElementsAre(t.Path("locked") + "|permission denied",
                                   t.Path("unreadable.txt") + "|permission denied"));
}

TEST(FileWalkerTest, FifosSocketsAndDevicesAreSkipped) {
  TempTree t;
  t.File("a.txt");
  ASSERT_EQ(mkfifo(t.Path("pipe").c_str(), 0644), 0);
  const int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = t.Path("sock");
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  Result r = Walk({t.root(), "/dev/null"});  // the FIFO is never opened, so nothing blocks
  close(sock);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("a.txt"));
  EXPECT_THAT(r.skipped,
              ElementsAre(std::pair(t.Path("pipe"), std::string("not a regular file (FIFO)")),
                          std::pair(t.Path("sock"), std::string("not a regular file (socket)")),
                          std::pair(std::string("/dev/null"),
                                    std::string("not a regular file (character device)"))));
}

TEST(FileWalkerTest, SizeLimitAndEmptyFiles) {
  TempTree t;
  t.File("big.txt", std::string(2000, 'x'));
  t.File("edge.txt", std::string(1000, 'x'));
  t.File("empty.txt", "");
  WalkOptions o;
  o.max_file_bytes = 1000;
  Result r = Walk({t.root(), t.Path("big.txt")}, o);  // a named file obeys the limit too
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("edge.txt", "empty.txt"));
  EXPECT_EQ(r.walked[1].size, 0u);
  // Reached twice (walk, then named), reported once.
  EXPECT_THAT(r.skipped, ElementsAre(std::pair(t.Path("big.txt"),
                                               std::string("too large (2.0 KiB > 1000 bytes)"))));
  WalkOptions mib;
  mib.max_file_bytes = uint64_t{1} << 20;
  t.File("huge.bin", std::string((3 << 20) / 2, 'x'));
  Result m = Walk({t.Path("huge.bin")}, mib);
  EXPECT_THAT(m.skipped, ElementsAre(std::pair(t.Path("huge.bin"),
                                               std::string("too large (1.5 MiB > 1 MiB)"))));
}

TEST(FileWalkerTest, OverlappingRootsReportEachFileOnce) {
  TempTree t;
  t.File("a.txt");
  t.File("sub/b.txt");
  t.File("sub/c.txt");
  Result r = Walk({t.Path("sub"), t.root(), t.Path("sub/c.txt"), t.root() + "/./sub/../a.txt"});
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("b.txt", "c.txt", "a.txt"));
  EXPECT_EQ(r.walked[0].path, t.Path("sub/b.txt"));
  EXPECT_EQ(r.walked[2].path, t.Path("a.txt"));
  EXPECT_THAT(r.skipped, IsEmpty());
}

TEST(FileWalkerTest, NamedFilesBypassIgnoreRulesAndGlobs) {
  TempTree t;
  t.File(".gitignore", "*.log\n");
  t.File("x.log", "hello");
  t.File(".hidden.log");
  t.File("sub/y.md");
  WalkOptions o;
  o.include = {"*.md"};
  o.exclude = {"*.log"};
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(t.Path("sub").c_str()), 0);
  Result r = Walk({"../x.log", t.Path(".hidden.log"), "."}, o);  // relative to the cwd
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.files, ElementsAre("x.log", ".hidden.log", "y.md"));
  EXPECT_EQ(r.walked[0].path, t.Path("x.log"));
  EXPECT_EQ(r.walked[2].path, t.Path("sub/y.md"));
  struct stat st;
  ASSERT_EQ(stat(t.Path("x.log").c_str(), &st), 0);
  EXPECT_EQ(r.walked[0].size, 5u);
  EXPECT_EQ(r.walked[0].mtime_ns, int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec);
}

TEST(FileWalkerTest, MissingPathFailsBeforeAnythingIsReported) {
  TempTree t;
  t.File("a.txt");
  t.Symlink("dangling", "nowhere");
  Result r = Walk({t.Path("a.txt"), t.root(), t.Path("missing")});
  EXPECT_EQ(r.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(t.Path("missing")));
  EXPECT_THAT(r.files, IsEmpty());
  EXPECT_THAT(r.skipped, IsEmpty());
  Result d = Walk({t.Path("dangling")});
  EXPECT_EQ(d.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status.message()), HasSubstr("broken symbolic link"));
}

}  // namespace
}  // namespace lateral::ingest

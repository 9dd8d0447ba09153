// Opening a store: read-only opens beside a writer (in this process and in
// another), the message of a store locked by another writer, and the
// in-place upgrade of a format-2 store (tests/data/storage/format2_store,
// written by the format-2 code; see tests/data/storage/README.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "storage/rocksdb_store.h"
#include "tests/storage/store_test_util.h"

extern char** environ;

namespace lateral {
namespace {

using ::lateral::testing::CheckLexicalInvariants;
using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::LexicalOnlyManifest;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestLexicalDocument;
using ::lateral::testing::TestManifest;
using ::testing::HasSubstr;

constexpr char kStoreEnv[] = "LATERAL_HOLD_STORE";
constexpr char kFdEnv[] = "LATERAL_HOLD_FD";

StoreOptions ReadOnly() {
  StoreOptions options;
  options.read_only = true;
  return options;
}

// Every write of a read-only store is FailedPrecondition "opened read-only".
void ExpectWritesRefused(CollectionStore* store) {
  std::vector<absl::Status> refused = {
      store->Upsert({TestLexicalDocument("new", 1)}).status(),
      store->Upsert({}).status(),
      store->Delete({"a"}),
      store->Apply(CollectionWrite()).status(),
      store->PutSetting("k", "v"),
      store->PutCodec(TestCodec()),
      store->Compact(),
  };
  for (const absl::Status& s : refused) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("opened read-only"));
  }
}

void ExpectLocked(const absl::Status& status, const std::string& path) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": the collection is in use by another lateral process"));
}

TEST(OpenModesTest, ReadOnlyBesideAWriterInThisProcess) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  auto writer = CollectionStore::Open(path, LexicalOnlyManifest());
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Upsert({TestLexicalDocument("a", 1), TestLexicalDocument("b", 2)}).ok());
  LATERAL_ASSERT_OK((*writer)->PutSetting("analyzer", "v1"));

  // A second writer is refused with a clear message.
  auto second = CollectionStore::Open(path, std::nullopt);
  ExpectLocked(second.status(), path);

  auto reader = CollectionStore::Open(path, LexicalOnlyManifest(), ReadOnly());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->read_only());
  EXPECT_FALSE((*writer)->read_only());
  auto snapshot = (*reader)->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 2);
  EXPECT_EQ(snapshot->GetSetting("analyzer").value(), "v1");
  EXPECT_TRUE(CheckLexicalInvariants(*snapshot));
  snapshot.reset();
  ExpectWritesRefused(reader->get());
  // The writer goes on; the reader sees the store as of its open.
  ASSERT_TRUE((*writer)->Upsert({TestLexicalDocument("c", 3)}).ok());
  EXPECT_EQ((*reader)->Snapshot()->NumDocuments(), 2);
  auto later = CollectionStore::Open(path, std::nullopt, ReadOnly());
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ((*later)->Snapshot()->NumDocuments(), 3);
  EXPECT_TRUE(CheckLexicalInvariants(*(*later)->Snapshot()));
  // A read-only open checks the manifest it is given, and never creates.
  EXPECT_EQ(CollectionStore::Open(path, TestManifest(), ReadOnly()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto missing = CollectionStore::Open(dir.Sub("missing"), LexicalOnlyManifest(), ReadOnly());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("missing")));
}

// The child: opens the store for writing, writes one document, tells the
// parent, and holds the store until the parent closes the pipe or kills it.
TEST(HoldWriterChild, DISABLED_Hold) {
  const char* path = std::getenv(kStoreEnv);
  const char* fd_text = std::getenv(kFdEnv);
  if (path == nullptr || fd_text == nullptr) GTEST_SKIP() << "run by OpenModesTest";
  int fd;
  ASSERT_TRUE(absl::SimpleAtoi(fd_text, &fd));
  auto store = CollectionStore::Open(path, LexicalOnlyManifest());
  if (!store.ok()) _exit(3);
  if (!(*store)->Upsert({TestLexicalDocument("from child", 9)}).ok()) _exit(4);
  const char ready = 'r';
  if (write(fd, &ready, 1) != 1) _exit(5);
  pause();  // until killed
  _exit(0);
}

TEST(OpenModesTest, ReadOnlyBesideAWriterInAnotherProcess) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = CollectionStore::Open(path, LexicalOnlyManifest());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Upsert({TestLexicalDocument("a", 1)}).ok());
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  // Built before fork: the child may only call async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "GTEST_") || absl::StartsWith(*e, "LATERAL_HOLD_")) continue;
    env_strings.push_back(*e);
  }
  env_strings.push_back(absl::StrCat(kStoreEnv, "=", path));
  env_strings.push_back(absl::StrCat(kFdEnv, "=", fds[1]));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = "storage_hold_child";
  std::string filter = "--gtest_filter=HoldWriterChild.DISABLED_Hold";
  std::string disabled = "--gtest_also_run_disabled_tests";
  char* argv[] = {arg0.data(), filter.data(), disabled.data(), nullptr};
  const int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(dev_null, STDOUT_FILENO);
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  close(dev_null);
  close(fds[1]);
  ASSERT_GT(pid, 0);
  pollfd p{fds[0], POLLIN, 0};
  char ready = 0;
  const bool got_ready = poll(&p, 1, 10000) == 1 && read(fds[0], &ready, 1) == 1 && ready == 'r';
  if (got_ready) {
    ExpectLocked(CollectionStore::Open(path, std::nullopt).status(), path);
    auto reader = CollectionStore::Open(path, std::nullopt, ReadOnly());
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (reader.ok()) {
      auto snapshot = (*reader)->Snapshot();
      EXPECT_EQ(snapshot->NumDocuments(), 2);  // the child's write is visible
      EXPECT_TRUE(snapshot->LookupExternalId("from child").value().has_value());
      EXPECT_TRUE(CheckLexicalInvariants(*snapshot));
      snapshot.reset();
      ExpectWritesRefused(reader->get());
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(got_ready) << "the child did not open the store (exit status " << status << ")";
  // Once the writer is gone, a writer may open it again.
  auto store = CollectionStore::Open(path, std::nullopt);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Snapshot()->NumDocuments(), 2);
}

// A copy of the format-2 fixture (opening writes to a store).
std::string CopyFormat2Store(const ScratchDir& dir) {
  const std::string path = dir.Sub("format2");
  std::filesystem::copy(std::string(LATERAL_TEST_DATA_DIR) + "/storage/format2_store", path);
  return path;
}

void ExpectFormat2Contents(const StoreSnapshot& snapshot) {
  // The fixture: doc0, doc1, doc2 upserted (ids 0, 1, 2), doc1 deleted.
  EXPECT_EQ(snapshot.NumDocuments(), 2);
  EXPECT_EQ(snapshot.LookupExternalId("doc0").value(), 0u);
  EXPECT_EQ(snapshot.LookupExternalId("doc2").value(), 2u);
  EXPECT_FALSE(snapshot.LookupExternalId("doc1").value().has_value());
  EXPECT_EQ(snapshot.GetDocument(2).value()->text, "text of doc2");
  EXPECT_TRUE(CheckStoreInvariants(snapshot, testing::kTestCentroids));
  EXPECT_EQ(snapshot.GetLexicalStats().value().num_documents, 0);
}

TEST(OpenModesTest, Format2StoreIsReadAsIsReadOnlyAndUpgradedByAWriter) {
  ScratchDir dir;
  const std::string path = CopyFormat2Store(dir);
  {
    auto reader = CollectionStore::Open(path, TestManifest(), ReadOnly());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->manifest().format_version, 2);
    auto snapshot = (*reader)->Snapshot();
    ExpectFormat2Contents(*snapshot);
    EXPECT_EQ(snapshot->NumSources().value(), 0);
    EXPECT_FALSE(snapshot->GetSetting("x").value().has_value());
    EXPECT_TRUE(snapshot->GetLexicalPostings("w1").value().empty());
    snapshot.reset();
    ExpectWritesRefused(reader->get());
  }
  {
    auto store = CollectionStore::Open(path, TestManifest());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->manifest().format_version, storage::kFormatVersion);
    ExpectFormat2Contents(*(*store)->Snapshot());
    // The upgraded store takes everything format 3 has.
    CollectionWrite w;
    w.upserts = {TestDocument("doc0", 5), TestDocument("new", 6)};
    w.upserts[1].lexical = LexicalTerms{{{"w1", 2}}, 2};
    w.put_sources = {[] {
      SourceRecord s;
      s.path = "a.md";
      s.document_ids = {"new"};
      return s;
    }()};
    w.put_settings = {{"analyzer", "v1"}};
    auto ids = (*store)->Apply(w);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_GE((*ids)[0], 3u);  // ids continue after the fixture's
  }
  for (bool read_only : {true, false}) {
    StoreOptions options;
    options.read_only = read_only;
    auto store = CollectionStore::Open(path, TestManifest(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->manifest().format_version, storage::kFormatVersion);
    auto snapshot = (*store)->Snapshot();
    EXPECT_EQ(snapshot->NumDocuments(), 3);
    EXPECT_EQ(snapshot->NumSources().value(), 1);
    EXPECT_EQ(snapshot->GetSetting("analyzer").value(), "v1");
    EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
    EXPECT_GT(snapshot->GetLexicalStats().value().num_documents, 0);
  }
}

}  // namespace
}  // namespace lateral

// Crash safety: a child process upserts and deletes in a loop and is killed
// with SIGKILL at some moment; the reopened store must hold every write the
// child saw acknowledged, at most one more (the one in flight, whole), and
// satisfy every invariant (documents, codes, external ids, postings, lexical
// terms, postings and statistics agree; sources are those written). Writes
// are Upsert, Delete, and Apply combining deletes, upserts (some replacing
// the deleted), source puts and source deletes. In some rounds a read-only
// open beside the running writer must see a consistent store too.
//
// The child is this test binary re-executed (fork + exec), running the
// disabled test CrashChild.DISABLED_WriterLoop: a forked copy of a process
// that already ran RocksDB would inherit RocksDB's thread pools without their
// threads. The child reports each acknowledged operation over a pipe; both
// processes derive the same operations from a seed and the store's contents,
// so the parent can replay them on a std::map model.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/store_test_util.h"

extern char** environ;

namespace lateral {
namespace {

using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::RawDb;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestManifest;

constexpr char kStoreEnv[] = "LATERAL_CRASH_STORE";
constexpr char kSeedEnv[] = "LATERAL_CRASH_SEED";
constexpr char kFdEnv[] = "LATERAL_CRASH_FD";
constexpr int kIdPool = 60;          // external ids doc0..doc59, so upserts often replace
constexpr int kCompactEvery = 1000;  // operations between Compact() calls in the child

struct Model {
  std::map<std::string, std::string> docs;     // external id -> text
  std::map<std::string, std::string> sources;  // path -> content hash
  bool operator==(const Model&) const = default;
};

using Op = CollectionWrite;

int TokensFor(uint32_t seed) { return 1 + seed % 24; }

// The next operation, from the rng and the current contents.
Op NextOp(std::mt19937& rng, const Model& model, uint32_t step) {
  Op op;
  const uint32_t kind = rng() % 10;  // 0-2: Delete, 3-5: Upsert, 6-9: Apply with everything
  if (!model.docs.empty() && (kind < 3 || kind >= 6)) {
    const int n = 1 + rng() % 2;
    for (int i = 0; i < n; ++i) {
      auto it = model.docs.begin();
      std::advance(it, rng() % model.docs.size());
      if (std::find(op.deletes.begin(), op.deletes.end(), it->first) == op.deletes.end()) {
        op.deletes.push_back(it->first);
      }
    }
    if (kind < 3) return op;
  }
  if (kind >= 6) {
    if (rng() % 2) op.delete_sources.push_back(absl::StrCat("src/", rng() % 12));
    SourceRecord source;
    source.path = absl::StrCat("src/", rng() % 12);
    source.content_sha256 = absl::StrCat("sha of step ", step);
    source.size = step;
    source.mtime_ns = -int64_t{step};
    source.format = "text";
    op.put_sources.push_back(source);
  }
  const int n = 1 + rng() % 4;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    std::string id = absl::StrCat("doc", rng() % kIdPool);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    const uint32_t seed = step * 8 + i;
    op.upserts.push_back(TestDocument(id, seed, TokensFor(seed)));
    ids.push_back(id);
  }
  if (!op.put_sources.empty()) op.put_sources[0].document_ids = ids;
  return op;
}

void ApplyToModel(const Op& op, Model* model) {
  for (const std::string& id : op.deletes) model->docs.erase(id);
  for (const DocumentWrite& w : op.upserts) model->docs[w.record.external_id] = w.record.text;
  for (const std::string& path : op.delete_sources) model->sources.erase(path);
  for (const SourceRecord& source : op.put_sources) model->sources[source.path] = source.content_sha256;
}

absl::Status ApplyToStore(const Op& op, CollectionStore* store) {
  if (op.put_sources.empty() && op.delete_sources.empty()) {
    if (op.upserts.empty()) return store->Delete(op.deletes);
    if (op.deletes.empty()) return store->Upsert(op.upserts).status();
  }
  return store->Apply(op).status();
}

absl::StatusOr<Model> LoadModel(const StoreSnapshot& snapshot) {
  Model model;
  absl::Status s = snapshot.ForEachDocument([&](uint32_t, const DocumentRecord& r) {
    model.docs[r.external_id] = r.text;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  s = snapshot.ForEachSource([&](const SourceRecord& source) {
    model.sources[source.path] = source.content_sha256;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  auto num_sources = snapshot.NumSources();
  if (!num_sources.ok()) return num_sources.status();
  if (*num_sources != static_cast<int64_t>(model.sources.size())) {
    return absl::InternalError(
        absl::StrCat("NumSources() ", *num_sources, " but ", model.sources.size(), " source records"));
  }
  return model;
}

// The child: runs until killed.
TEST(CrashChild, DISABLED_WriterLoop) {
  const char* path = std::getenv(kStoreEnv);
  const char* seed_text = std::getenv(kSeedEnv);
  const char* fd_text = std::getenv(kFdEnv);
  if (path == nullptr || seed_text == nullptr || fd_text == nullptr) GTEST_SKIP() << "run by CrashSafetyTest";
  uint32_t seed;
  int fd;
  ASSERT_TRUE(absl::SimpleAtoi(seed_text, &seed) && absl::SimpleAtoi(fd_text, &fd));
  StoreOptions options;
  options.write_buffer_bytes = 64 << 10;  // flush often: crashes land in flushes too
  auto store = CollectionStore::Open(path, TestManifest(), options);
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(3);
  }
  auto model = LoadModel(*(*store)->Snapshot());
  if (!model.ok()) _exit(3);
  std::mt19937 rng(seed);
  for (uint32_t step = 0;; ++step) {
    const Op op = NextOp(rng, *model, step);
    absl::Status s = ApplyToStore(op, store->get());
    if (!s.ok()) {
      fprintf(stderr, "child: step %u: %s\n", step, s.ToString().c_str());
      _exit(4);
    }
    ApplyToModel(op, &*model);
    if (write(fd, &step, sizeof(step)) != sizeof(step)) _exit(5);
    if (step % kCompactEvery == kCompactEvery - 1 && !(*store)->Compact().ok()) _exit(6);
  }
}

// Starts the child; returns its pid and the read end of its ack pipe.
std::pair<pid_t, int> StartChild(const std::string& path, uint32_t seed) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  // Everything exec needs is built before fork: the child may only call
  // async-signal-safe functions until exec.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "GTEST_") || absl::StartsWith(*e, "LATERAL_CRASH_")) continue;
    env_strings.push_back(*e);
  }
  env_strings.push_back(absl::StrCat(kStoreEnv, "=", path));
  env_strings.push_back(absl::StrCat(kSeedEnv, "=", seed));
  env_strings.push_back(absl::StrCat(kFdEnv, "=", fds[1]));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = "storage_crash_child";
  std::string filter = "--gtest_filter=CrashChild.DISABLED_WriterLoop";
  std::string disabled = "--gtest_also_run_disabled_tests";
  char* argv[] = {arg0.data(), filter.data(), disabled.data(), nullptr};
  const int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);

  const pid_t pid = fork();
  if (pid == 0) {
    dup2(dev_null, STDOUT_FILENO);  // gtest's chatter; stderr stays for errors
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  close(dev_null);
  close(fds[1]);
  EXPECT_GT(pid, 0);
  return {pid, fds[0]};
}

// Reads acks until `deadline` (or EOF); returns false on EOF.
bool DrainAcks(int fd, std::chrono::steady_clock::time_point deadline, std::string* bytes) {
  char buffer[4096];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) return true;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return false;
    bytes->append(buffer, n);
  }
}

// Checks the codes of every document are those its text's seed generates.
::testing::AssertionResult CodesMatchTexts(const StoreSnapshot& snapshot) {
  absl::Status s = snapshot.ForEachDocument([&](uint32_t doc_id,
                                                const DocumentRecord& record) -> absl::Status {
    const size_t at = record.text.rfind(" seed ");
    uint32_t seed;
    if (at == std::string::npos || !absl::SimpleAtoi(record.text.substr(at + 6), &seed)) {
      return absl::InternalError(absl::StrCat("unexpected text ", record.text));
    }
    auto terms = snapshot.GetLexicalTerms(doc_id);
    if (!terms.ok()) return terms.status();
    const LexicalTerms expected_terms = storage::SortedTerms(testing::TestTerms(seed));
    if (expected_terms.term_frequencies.empty() ? terms->has_value()
                                                : (!terms->has_value() ||
                                                   (*terms)->term_frequencies != expected_terms.term_frequencies ||
                                                   (*terms)->length != expected_terms.length)) {
      return absl::InternalError(absl::StrCat("lexical terms of doc ", doc_id, " do not belong to ", record.text));
    }
    auto codes = snapshot.GetCodes(doc_id);
    if (!codes.ok()) return codes.status();
    // The store keeps tokens grouped by centroid.
    const DocumentCodes expected =
        storage::GroupByCentroid(TestDocument(record.external_id, seed, TokensFor(seed)).codes);
    if (!codes->has_value() || (*codes)->centroid_ids != expected.centroid_ids ||
        (*codes)->residual_codes != expected.residual_codes) {
      return absl::InternalError(absl::StrCat("codes of doc ", doc_id, " do not belong to ", record.text));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return ::testing::AssertionFailure() << s;
  return ::testing::AssertionSuccess();
}

// No external id or terms record may point to a missing document, and the
// id counter must be past every id in use.
::testing::AssertionResult NoOrphans(const std::string& path) {
  RawDb raw(path);
  if (!raw.ok()) return ::testing::AssertionFailure() << "cannot open " << path;
  std::set<uint32_t> documents;
  for (const auto& [key, value] : raw.Scan(storage::kDocumentsFamily))
    documents.insert(*storage::ParseDocIdKey(key));
  for (const auto& [key, value] : raw.Scan(storage::kExternalIdsFamily)) {
    auto doc_id = storage::ParseDocIdKey(value);
    if (!doc_id || !documents.count(*doc_id)) {
      return ::testing::AssertionFailure() << "external id " << key << " points to a missing document";
    }
  }
  for (const auto& [key, value] : raw.Scan(storage::kDocTermsFamily)) {
    auto doc_id = storage::ParseDocIdKey(key);
    if (!doc_id || !documents.count(*doc_id)) {
      return ::testing::AssertionFailure() << "lexical terms of a missing document";
    }
  }
  std::string next;
  rocksdb::Status s = raw.db()->Get(rocksdb::ReadOptions(), raw.family(storage::kCountersFamily),
                                    storage::kNextDocIdKey, &next);
  if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
  auto next_id = storage::DecodeCounter(next, "next");
  if (!next_id.ok()) return ::testing::AssertionFailure() << next_id.status();
  if (!documents.empty() && *documents.rbegin() >= *next_id) {
    return ::testing::AssertionFailure() << "doc id " << *documents.rbegin() << " >= next id " << *next_id;
  }
  return ::testing::AssertionSuccess();
}

TEST(CrashSafetyTest, KilledWriterLeavesAConsistentStore) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  {
    auto store = CollectionStore::Open(path, TestManifest());
    ASSERT_TRUE(store.ok()) << store.status();
    LATERAL_ASSERT_OK((*store)->PutCodec(TestCodec()));
  }
  {
    // Start the ids just below a postings block boundary (doc id 65536), so
    // that the writes, crashes and replays cross it: segments of both blocks
    // are updated, often by one batch.
    RawDb raw(path);
    ASSERT_TRUE(raw.ok());
    raw.Put(storage::kCountersFamily, storage::kNextDocIdKey, storage::EncodeCounter(65536 - 300));
  }
  // Milliseconds between the child's first acknowledged write and the kill.
  const std::vector<int> delays_ms = {0, 1, 2, 5, 10, 20, 40, 80, 150, 250};
  int64_t total_acks = 0;
  for (size_t round = 0; round < delays_ms.size(); ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, ", kill after ", delays_ms[round], " ms"));
    const uint32_t seed = 1000 + round;
    Model model;
    {
      auto store = CollectionStore::Open(path, TestManifest());
      ASSERT_TRUE(store.ok()) << store.status();
      auto loaded = LoadModel(*(*store)->Snapshot());
      ASSERT_TRUE(loaded.ok()) << loaded.status();
      model = *loaded;
    }
    auto [pid, fd] = StartChild(path, seed);
    ASSERT_GT(pid, 0);
    std::string bytes;
    // Wait for the first ack (the child has opened the store and written).
    const auto start = std::chrono::steady_clock::now();
    bool alive = true;
    while (alive && bytes.size() < sizeof(uint32_t) &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      alive = DrainAcks(fd, std::chrono::steady_clock::now() + std::chrono::milliseconds(5), &bytes);
    }
    if (alive && delays_ms[round] >= 40) {
      // A read-only open beside the running writer sees a consistent store.
      StoreOptions read_only;
      read_only.read_only = true;
      auto reader = CollectionStore::Open(path, TestManifest(), read_only);
      EXPECT_TRUE(reader.ok()) << reader.status();
      if (reader.ok()) {
        auto snapshot = (*reader)->Snapshot();
        EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
        EXPECT_TRUE(CodesMatchTexts(*snapshot));
        EXPECT_TRUE(LoadModel(*snapshot).ok());
      }
    }
    if (alive)
      alive = DrainAcks(fd, std::chrono::steady_clock::now() + std::chrono::milliseconds(delays_ms[round]),
                        &bytes);
    kill(pid, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
    while (DrainAcks(fd, std::chrono::steady_clock::now() + std::chrono::seconds(1), &bytes)) {
    }
    close(fd);
    ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the child ended by itself (exit code " << (WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1)
        << "); see its stderr above";
    const uint32_t acked = static_cast<uint32_t>(bytes.size() / sizeof(uint32_t));
    ASSERT_GT(acked, 0u) << "the child acknowledged nothing";
    total_acks += acked;

    // Replay what the child did: `acked` operations for sure, maybe one more.
    std::mt19937 rng(seed);
    for (uint32_t step = 0; step < acked; ++step) ApplyToModel(NextOp(rng, model, step), &model);
    Model with_in_flight = model;
    ApplyToModel(NextOp(rng, model, acked), &with_in_flight);

    auto store = CollectionStore::Open(path, TestManifest());
    ASSERT_TRUE(store.ok()) << store.status();
    auto snapshot = (*store)->Snapshot();
    auto recovered = LoadModel(*snapshot);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    EXPECT_TRUE(*recovered == model || *recovered == with_in_flight)
        << acked << " acked operations; recovered " << recovered->docs.size() << " documents and "
        << recovered->sources.size() << " sources, expected " << model.docs.size() << " and "
        << model.sources.size() << " (or " << with_in_flight.docs.size() << " and "
        << with_in_flight.sources.size() << ")";
    EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
    EXPECT_TRUE(CodesMatchTexts(*snapshot));
    snapshot.reset();
    store->reset();
    EXPECT_TRUE(NoOrphans(path));
    if (::testing::Test::HasFailure()) break;
  }
  RecordProperty("acknowledged_operations", static_cast<int>(total_acks));
}

}  // namespace
}  // namespace lateral

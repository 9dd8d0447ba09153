// Disk full: the status mapping, and a store whose WAL writes fail with
// "no space left" (a FileSystem wrapper) refuses the batch without applying it.
#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "storage/rocksdb_status.h"
#include "storage/rocksdb_store.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using ::lateral::testing::CheckStoreInvariants;
using ::lateral::testing::ScratchDir;
using ::lateral::testing::TestCodec;
using ::lateral::testing::TestDocument;
using ::lateral::testing::TestManifest;
using ::testing::HasSubstr;

TEST(RocksDbStatusTest, MapsEachKindToAnAbslCode) {
  using storage::FromRocksDbStatus;
  EXPECT_TRUE(FromRocksDbStatus(rocksdb::Status::OK(), "/p", "x").ok());
  absl::Status full = FromRocksDbStatus(rocksdb::Status::NoSpace("write failed", "ENOSPC"), "/data/c1",
                                        "writing a batch of 3 documents");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(full.message()),
              HasSubstr("/data/c1: out of disk space while writing a batch of 3"));
  EXPECT_THAT(std::string(full.message()), HasSubstr("nothing of this operation was applied"));
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::Corruption("bad block"), "/p", "x").code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::IOError("EIO"), "/p", "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::NotFound(), "/p", "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::InvalidArgument(), "/p", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::NotSupported(), "/p", "x").code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::Busy(), "/p", "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocksDbStatus(rocksdb::Status::Aborted(), "/p", "x").code(), absl::StatusCode::kAborted);
}

// Passes everything through, except that appends to WAL files fail with
// NoSpace while `full` is set.
class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : rocksdb::FileSystemWrapper(target) {}
  const char* Name() const override { return "FullDiskFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *result = std::make_unique<File>(std::move(*result), &full);
    }
    return s;
  }

  std::atomic<bool> full{false};

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& file, const std::atomic<bool>* full)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), full_(full) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return target()->Append(data, options, info, dbg);
    }

   private:
    const std::atomic<bool>* full_;
  };
};

TEST(DiskFullTest, BatchIsNotAppliedAndWritesResumeWhenSpaceReturns) {
  ScratchDir dir;
  const std::string path = dir.Sub("store");
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    auto opened = storage::OpenRocksDbStore(path, TestManifest(), StoreOptions(), env.get());
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<CollectionStore> store = std::move(*opened);
    LATERAL_ASSERT_OK(store->PutCodec(TestCodec()));
    ASSERT_TRUE(store->Upsert({TestDocument("a", 1), TestDocument("b", 2)}).ok());

    fs->full = true;
    auto failed = store->Upsert({TestDocument("a", 3), TestDocument("c", 4)});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted) << failed.status();
    EXPECT_THAT(std::string(failed.status().message()), HasSubstr("out of disk space"));
    EXPECT_THAT(std::string(failed.status().message()), HasSubstr(path));
    absl::Status failed_delete = store->Delete({"b"});
    EXPECT_FALSE(failed_delete.ok()) << "delete on a full disk";

    auto snapshot = store->Snapshot();
    EXPECT_EQ(snapshot->NumDocuments(), 2);
    EXPECT_EQ(**snapshot->LookupExternalId("a"), 0u);
    EXPECT_TRUE(snapshot->LookupExternalId("b")->has_value());
    EXPECT_FALSE(snapshot->LookupExternalId("c")->has_value());
    EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
    snapshot.reset();

    // Space is back. RocksDB recovers in the background (a flush and a new
    // WAL, some milliseconds); writes fail with the same error until then.
    fs->full = false;
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<uint32_t>> ids;
    int attempts = 0;
    do {
      if (attempts++ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ids = store->Upsert({TestDocument("c", 5)});
    } while (!ids.ok() && std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ((*ids)[0], 2u);  // the failed batch consumed no ids
  }
  auto store = CollectionStore::Open(path, TestManifest());
  ASSERT_TRUE(store.ok()) << store.status();
  auto snapshot = (*store)->Snapshot();
  EXPECT_EQ(snapshot->NumDocuments(), 3);
  EXPECT_EQ(**snapshot->LookupExternalId("a"), 0u);
  EXPECT_TRUE(CheckStoreInvariants(*snapshot, testing::kTestCentroids));
}

}  // namespace
}  // namespace lateral

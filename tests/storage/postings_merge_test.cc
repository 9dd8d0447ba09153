// The postings merge operator and compaction filter: called directly, and
// inside a RocksDB database under random add / remove sequences with flushes,
// compactions and snapshots, always against a std::set model.
#include "storage/rocksdb_postings.h"

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/key_format.h"
#include "storage/posting_segment.h"
#include "storage/rocksdb_options.h"
#include "tests/storage/store_test_util.h"

namespace lateral::storage {
namespace {

using Model = std::set<uint16_t>;

std::vector<uint16_t> RandomIds(std::mt19937& rng, int max_n, int range) {
  std::set<uint16_t> ids;
  const int n = rng() % (max_n + 1);
  for (int i = 0; i < n; ++i) ids.insert(static_cast<uint16_t>(rng() % range));
  return std::vector<uint16_t>(ids.begin(), ids.end());
}

SegmentEdit RandomEdit(std::mt19937& rng, int range) {
  return SegmentEdit{RandomIds(rng, 8, range), RandomIds(rng, 8, range)};
}

void ApplyToModel(const SegmentEdit& edit, Model* model) {
  for (uint16_t id : edit.removed) model->erase(id);
  model->insert(edit.added.begin(), edit.added.end());
}

std::vector<uint16_t> Ids(const Model& model) { return std::vector<uint16_t>(model.begin(), model.end()); }

// FullMergeV2 of `operands` over `base` (null: no stored value); the result.
std::string FullMerge(const std::string* base, const std::vector<std::string>& operands,
                      const std::string& key = SegmentKey(3, 1)) {
  const std::shared_ptr<rocksdb::MergeOperator> op = PostingsMergeOperator();
  const rocksdb::Slice key_slice(key);
  std::vector<rocksdb::Slice> operand_slices(operands.begin(), operands.end());
  rocksdb::Slice existing;
  if (base != nullptr) existing = rocksdb::Slice(*base);
  rocksdb::MergeOperator::MergeOperationInput in(key_slice, base != nullptr ? &existing : nullptr, operand_slices,
                                                 nullptr);
  std::string new_value;
  rocksdb::Slice existing_operand(nullptr, 0);
  rocksdb::MergeOperator::MergeOperationOutput out(new_value, existing_operand);
  EXPECT_TRUE(op->FullMergeV2(in, &out));
  return existing_operand.data() != nullptr ? existing_operand.ToString() : new_value;
}

TEST(PostingsMergeOperatorTest, FullMergeEqualsASetModel) {
  EXPECT_STREQ(PostingsMergeOperator()->Name(), "lateral.postings.v1");
  std::mt19937 rng(11);
  for (int trial = 0; trial < 1000; ++trial) {
    const int range = trial % 2 ? 64 : 65536;  // overlapping edits, or a whole block
    Model model;
    std::string base;
    const bool has_base = rng() % 3 != 0;
    if (has_base) {
      for (uint16_t id : RandomIds(rng, 30, range)) model.insert(id);
      base = EncodeSegment(Ids(model));
    }
    std::vector<std::string> operands;
    const int n = 1 + rng() % 6;
    for (int i = 0; i < n; ++i) {
      const SegmentEdit edit = RandomEdit(rng, range);
      ApplyToModel(edit, &model);
      operands.push_back(EncodeEdit(edit));
    }
    const std::string merged = FullMerge(has_base ? &base : nullptr, operands);
    auto ids = DecodeSegment(merged, "merged");
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, Ids(model));
  }
}

TEST(PostingsMergeOperatorTest, PartialMergesCombineConsecutiveUpdates) {
  const std::shared_ptr<rocksdb::MergeOperator> op = PostingsMergeOperator();
  std::mt19937 rng(12);
  for (int trial = 0; trial < 500; ++trial) {
    Model model;
    for (uint16_t id : RandomIds(rng, 20, 48)) model.insert(id);
    const std::string base = EncodeSegment(Ids(model));
    std::vector<std::string> operands;
    const int n = 2 + rng() % 8;
    for (int i = 0; i < n; ++i) {
      const SegmentEdit edit = RandomEdit(rng, 48);
      ApplyToModel(edit, &model);
      operands.push_back(EncodeEdit(edit));
    }
    // Combine random runs of consecutive operands, as compactions do.
    std::vector<std::string> combined;
    for (size_t i = 0; i < operands.size();) {
      const size_t run = std::min<size_t>(operands.size() - i, 1 + rng() % 4);
      if (run == 1) {
        combined.push_back(operands[i]);
      } else {
        std::deque<rocksdb::Slice> slices(operands.begin() + i, operands.begin() + i + run);
        std::string partial;
        ASSERT_TRUE(op->PartialMergeMulti(SegmentKey(3, 1), slices, &partial, nullptr));
        combined.push_back(partial);
      }
      i += run;
    }
    auto ids = DecodeSegment(FullMerge(&base, combined), "merged");
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, Ids(model));
  }
}

TEST(PostingsMergeOperatorTest, MalformedInputYieldsAFailedSegmentNamingTheUpdate) {
  const std::string base = EncodeSegment(std::vector<uint16_t>{1, 2, 3});
  const std::vector<std::string> operands = {EncodeEdit(SegmentEdit{{1}, {}}), "\x02garbage",
                                             EncodeEdit(SegmentEdit{{}, {9}})};
  const std::string failed = FullMerge(&base, operands, SegmentKey(7, 2));
  auto ids = DecodeSegment(failed, "/s: postings[centroid 7, block 2]");
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(ids.status().message(),
                                "/s: postings[centroid 7, block 2]: corrupt value (merging its updates failed: "
                                "update 2 of 3: corrupt value"))
      << ids.status();
  // A failed segment stays failed, whatever comes after.
  const std::string later = FullMerge(&failed, {EncodeEdit(SegmentEdit{{}, {4}})});
  EXPECT_EQ(later, failed);
  // A malformed stored segment fails the same way.
  const std::string bad_base = "\x01\x05";
  auto from_bad_base = DecodeSegment(FullMerge(&bad_base, {EncodeEdit(SegmentEdit{{}, {4}})}), "k");
  EXPECT_EQ(from_bad_base.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(from_bad_base.status().message(), "the stored segment")) << from_bad_base.status();
  // Partial merges leave malformed operands alone (to FullMergeV2).
  std::deque<rocksdb::Slice> slices = {rocksdb::Slice(operands[0]), rocksdb::Slice(operands[1])};
  std::string partial;
  EXPECT_FALSE(PostingsMergeOperator()->PartialMergeMulti(SegmentKey(7, 2), slices, &partial, nullptr));
}

TEST(PostingsCompactionFilterTest, DropsOnlyEmptySegments) {
  const rocksdb::CompactionFilter* filter = PostingsCompactionFilter();
  EXPECT_STREQ(filter->Name(), "lateral.postings.drop_empty");
  std::string unused;
  bool changed = false;
  EXPECT_TRUE(filter->Filter(1, SegmentKey(1, 0), EncodeSegment({}), &unused, &changed));
  EXPECT_FALSE(filter->Filter(1, SegmentKey(1, 0), EncodeSegment(std::vector<uint16_t>{0}), &unused, &changed));
  EXPECT_FALSE(filter->Filter(1, SegmentKey(1, 0), EncodeFailedMerge("x"), &unused, &changed));
  EXPECT_FALSE(filter->Filter(1, SegmentKey(1, 0), "", &unused, &changed));
  EXPECT_FALSE(changed);
}

// A database with a postings family tuned as the store tunes it.
class PostingsDb {
 public:
  explicit PostingsDb(const std::string& path) {
    StoreOptions store_options;
    store_options.write_buffer_bytes = 16 << 10;  // frequent flushes
    rocksdb::DBOptions db_options = MakeDbOptions(store_options);
    db_options.create_if_missing = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {kPostingsFamily, MakeFamilyOptions(kPostingsFamily, store_options, MakeBlockCache(store_options))}};
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles_, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  ~PostingsDb() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* postings() { return handles_[1]; }

  std::optional<std::vector<uint16_t>> Get(const std::string& key, const rocksdb::Snapshot* snapshot = nullptr) {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    std::string value;
    rocksdb::Status s = db_->Get(read, postings(), key, &value);
    if (s.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto ids = DecodeSegment(value, DescribeSegmentKey(key));
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? std::optional<std::vector<uint16_t>>(*ids) : std::nullopt;
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), postings()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return keys;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

TEST(PostingsMergeOperatorTest, RandomUpdatesInRocksDbEqualASetModel) {
  testing::ScratchDir dir;
  PostingsDb db(dir.Sub("db"));
  ASSERT_NE(db.db(), nullptr);
  std::mt19937 rng(13);
  constexpr int kKeys = 24;
  std::map<std::string, Model> model;
  auto check = [&](const std::map<std::string, Model>& expected, const rocksdb::Snapshot* snapshot) {
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = SegmentKey(k / 4, k % 4);
      auto ids = db.Get(key, snapshot);
      auto it = expected.find(key);
      const std::vector<uint16_t> want = it == expected.end() ? std::vector<uint16_t>() : Ids(it->second);
      // An absent key and an empty segment both mean "no postings".
      EXPECT_EQ(ids.value_or(std::vector<uint16_t>()), want) << DescribeSegmentKey(key);
    }
  };
  const rocksdb::Snapshot* snapshot = nullptr;
  std::map<std::string, Model> at_snapshot;
  for (int step = 0; step < 3000; ++step) {
    rocksdb::WriteBatch batch;
    const int n = 1 + rng() % 5;
    std::set<std::string> touched;
    for (int i = 0; i < n; ++i) {
      const std::string key = SegmentKey(rng() % (kKeys / 4), rng() % 4);
      if (!touched.insert(key).second) continue;  // one operand per key per batch, as the store writes
      const SegmentEdit edit = RandomEdit(rng, 200);
      ApplyToModel(edit, &model[key]);
      ASSERT_TRUE(batch.Merge(db.postings(), key, EncodeEdit(edit)).ok());
    }
    ASSERT_TRUE(db.db()->Write(rocksdb::WriteOptions(), &batch).ok());
    if (step % 500 == 250) {
      if (snapshot != nullptr) db.db()->ReleaseSnapshot(snapshot);
      snapshot = db.db()->GetSnapshot();
      at_snapshot = model;
    }
    if (step % 700 == 699) {
      ASSERT_TRUE(db.db()->CompactRange(rocksdb::CompactRangeOptions(), db.postings(), nullptr, nullptr).ok());
    }
    if (step % 300 == 0) check(model, nullptr);
  }
  check(model, nullptr);
  check(at_snapshot, snapshot);
  db.db()->ReleaseSnapshot(snapshot);

  // Empty every segment: after a compaction that merges and one that filters,
  // no key is left.
  rocksdb::WriteBatch batch;
  for (auto& [key, ids] : model) {
    ASSERT_TRUE(batch.Merge(db.postings(), key, EncodeEdit(SegmentEdit{Ids(ids), {}})).ok());
    ids.clear();
  }
  ASSERT_TRUE(db.db()->Write(rocksdb::WriteOptions(), &batch).ok());
  check(model, nullptr);
  rocksdb::CompactRangeOptions force;
  force.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  ASSERT_TRUE(db.db()->CompactRange(force, db.postings(), nullptr, nullptr).ok());
  ASSERT_TRUE(db.db()->CompactRange(force, db.postings(), nullptr, nullptr).ok());
  EXPECT_TRUE(db.Keys().empty()) << db.Keys().size() << " keys left";
}

}  // namespace
}  // namespace lateral::storage

// Direct RocksDB access to a closed store, for tests that inspect what the
// API cannot show (orphan keys) or damage a store on purpose. The postings
// and lexical_postings families get the store's merge operators: a store's WAL and SSTs hold merge
// operands that RocksDB cannot flush, compact or read without it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/key_format.h"
#include "storage/rocksdb_lexical.h"
#include "storage/rocksdb_postings.h"

namespace lateral::testing {

class RawDb {
 public:
  // Opens every column family of the database at `path`.
  explicit RawDb(const std::string& path) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names) {
      rocksdb::ColumnFamilyOptions options;
      if (name == storage::kPostingsFamily) options.merge_operator = storage::PostingsMergeOperator();
      if (name == storage::kLexicalPostingsFamily) options.merge_operator = storage::LexicalMergeOperator();
      descriptors.emplace_back(name, options);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    s = rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
    for (rocksdb::ColumnFamilyHandle* h : handles) families_[h->GetName()] = h;
  }
  ~RawDb() {
    for (auto& [name, handle] : families_) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    if (db_) db_->Close().PermitUncheckedError();
  }
  bool ok() const { return db_ != nullptr; }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) { return families_.at(name); }

  void Put(const std::string& family_name, const std::string& key, const std::string& value) {
    rocksdb::Status s = db_->Put(rocksdb::WriteOptions(), family(family_name), key, value);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::vector<std::pair<std::string, std::string>> Scan(const std::string& family_name) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(family_name)));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out.emplace_back(it->key().ToString(), it->value().ToString());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
};

}  // namespace lateral::testing

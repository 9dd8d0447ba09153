// storage/ private header: how each column family is tuned for its workload.
//
//   family        access                               tuning
//   ------------  -----------------------------------  ----------------------------
//   documents     point lookups (search results)       bloom filter but at the
//                                                      bottom level, 16 KiB blocks,
//                                                      LZ4, ZSTD at the bottom
//   external_ids  point lookups (upsert, delete;       bloom filter, LZ4, ZSTD at
//                 often misses)                        the bottom
//   codes         point lookups + full scans (index    bloom filter but at the
//                 load); ~33.5 B/token, incompressible bottom level, 16 KiB blocks,
//                                                      no compression
//   postings      prefix scans per centroid; Merge     merge operator + compaction
//                 writes (rocksdb_postings.h)          filter, no bloom filter,
//                                                      16 KiB blocks, restart
//                                                      interval 32, LZ4, ZSTD at
//                                                      the bottom
//   lexical_      prefix scans per query term; Merge   merge operator + compaction
//   postings      writes (rocksdb_lexical.h)           filter, 16 KiB blocks, LZ4
//                                                      at every level (fast cold reads)
//   doc_terms     point lookups (delete, replace)      bloom filter, LZ4, ZSTD at the bottom
//   sources       point lookups, scans                 bloom filter, small memtable
//   manifest,     a few small keys, read at open       defaults, small memtable
//   codec,
//   counters,
//   settings
// Every open uses one thread to open table files (max_file_opening_threads
// = 1; RocksDB's 16 cost ~45 ms per open) and keeps them all open.
// One LRU block cache is shared by all families; full scans bypass it
// (ReadOptions::fill_cache = false) so loading an index does not evict the
// lookups' working set. docs/STORAGE.md has the measurements behind these.
#pragma once

#include <string>
#include <vector>

#include "rocksdb/options.h"
#include "storage/collection_store.h"

namespace lateral::storage {

// Our column families, in a fixed order; "default" first (RocksDB requires it).
const std::vector<std::string>& StoreFamilyNames();

rocksdb::DBOptions MakeDbOptions(const StoreOptions& options);
// Options of one of StoreFamilyNames(); `cache` is the shared block cache.
rocksdb::ColumnFamilyOptions MakeFamilyOptions(const std::string& family, const StoreOptions& options,
                                               const std::shared_ptr<rocksdb::Cache>& cache);
std::shared_ptr<rocksdb::Cache> MakeBlockCache(const StoreOptions& options);

// LZ4 when this RocksDB build has it, else Snappy, else none (Debian 12's
// librocksdb 7.8.3 has LZ4, Snappy, Zlib, BZip2 and ZSTD).
rocksdb::CompressionType TextCompression();
// For the bottommost level of documents, external_ids and postings: ZSTD when
// this RocksDB build has it, else TextCompression().
rocksdb::CompressionType BottommostCompression();

}  // namespace lateral::storage

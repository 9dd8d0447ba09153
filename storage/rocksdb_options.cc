#include "storage/rocksdb_options.h"

#include <algorithm>

#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "storage/key_format.h"

namespace lateral::storage {
namespace {

constexpr int kBloomBitsPerKey = 10;           // ~1% false positives
constexpr size_t kSmallWriteBuffer = 4 << 20;  // manifest, codec, counters
constexpr size_t kLargeBlockSize = 16 << 10;   // documents, codes: values of a few KiB
constexpr size_t kMaxInfoLogBytes = 4 << 20;
constexpr size_t kInfoLogsKept = 3;

bool Supported(rocksdb::CompressionType type) {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

}  // namespace

const std::vector<std::string>& StoreFamilyNames() {
  static const std::vector<std::string>* names =
      new std::vector<std::string>{rocksdb::kDefaultColumnFamilyName,
                                   kManifestFamily,
                                   kCodecFamily,
                                   kCountersFamily,
                                   kDocumentsFamily,
                                   kExternalIdsFamily,
                                   kCodesFamily,
                                   kPostingsFamily};
  return *names;
}

rocksdb::CompressionType TextCompression() {
  static const rocksdb::CompressionType type = Supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression
                                               : Supported(rocksdb::kSnappyCompression)
                                                   ? rocksdb::kSnappyCompression
                                                   : rocksdb::kNoCompression;
  return type;
}

std::shared_ptr<rocksdb::Cache> MakeBlockCache(const StoreOptions& options) {
  return rocksdb::NewLRUCache(options.block_cache_bytes);
}

rocksdb::DBOptions MakeDbOptions(const StoreOptions& options) {
  rocksdb::DBOptions db;
  db.create_missing_column_families = true;
  // Background flush + compaction threads; the machine also runs encoders.
  db.max_background_jobs = 2;
  // A rarely written family (manifest, codec) pins the WAL until it is
  // flushed; cap the WAL so it cannot grow without bound between Compacts.
  db.max_total_wal_size = 4 * std::max<size_t>(options.write_buffer_bytes, kSmallWriteBuffer);
  // Spread writeback of new SSTs instead of one large fsync at the end.
  db.bytes_per_sync = 1 << 20;
  db.max_log_file_size = kMaxInfoLogBytes;
  db.keep_log_file_num = kInfoLogsKept;
  // Point-in-time recovery (the default): after a crash the WAL is replayed
  // up to the first damaged record, so a torn last batch is dropped whole.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  return db;
}

rocksdb::ColumnFamilyOptions MakeFamilyOptions(const std::string& family, const StoreOptions& options,
                                               const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.format_version = 5;

  const bool large = family == kDocumentsFamily || family == kExternalIdsFamily || family == kCodesFamily ||
                     family == kPostingsFamily;
  cf.write_buffer_size = large ? options.write_buffer_bytes : kSmallWriteBuffer;
  cf.compression = TextCompression();

  if (family == kDocumentsFamily || family == kExternalIdsFamily || family == kCodesFamily) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  }
  if (family == kDocumentsFamily || family == kCodesFamily) table.block_size = kLargeBlockSize;
  if (family == kCodesFamily) {
    // Residual codes are uniformly distributed bits: compressing them costs
    // CPU on every scan and saves nothing.
    cf.compression = rocksdb::kNoCompression;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

}  // namespace lateral::storage

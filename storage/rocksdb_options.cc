#include "storage/rocksdb_options.h"

#include <algorithm>

#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "storage/key_format.h"
#include "storage/rocksdb_lexical.h"
#include "storage/rocksdb_postings.h"

namespace lateral::storage {
namespace {

constexpr int kBloomBitsPerKey = 10;           // ~1% false positives
constexpr size_t kSmallWriteBuffer = 4 << 20;  // manifest, codec, counters
constexpr size_t kLargeBlockSize = 16 << 10;   // documents, codes (values of a few KiB), postings
// A postings block holds hundreds of short segments; fewer restart points
// (each a 4-byte offset and a whole key) save ~1% of the family, and a prefix
// scan seeks once per centroid.
constexpr int kPostingsRestartInterval = 32;
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
                                   kPostingsFamily,
                                   kLexicalPostingsFamily,
                                   kDocTermsFamily,
                                   kSourcesFamily,
                                   kSettingsFamily};
  return *names;
}

rocksdb::CompressionType TextCompression() {
  static const rocksdb::CompressionType type = Supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression
                                               : Supported(rocksdb::kSnappyCompression)
                                                   ? rocksdb::kSnappyCompression
                                                   : rocksdb::kNoCompression;
  return type;
}

rocksdb::CompressionType BottommostCompression() {
  static const rocksdb::CompressionType type =
      Supported(rocksdb::kZSTD) ? rocksdb::kZSTD : TextCompression();
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
  // Open table files in the opening thread. RocksDB's default (16) starts 15
  // threads per column family at every open to read a few files' footers:
  // ~45 ms of an open of 11 families on a 2-core machine, against < 1 ms
  // without (measured on a 100k-document store; `lateral search` opens the
  // store at every call). Stores have few files per family (Compact() leaves
  // one or two).
  db.max_file_opening_threads = 1;
  // Keep every table file open (RocksDB's default, made explicit): a
  // read-only open beside a writer then keeps reading files the writer's
  // compactions delete (rocksdb_store.cc, OpenRocksDb).
  db.max_open_files = -1;
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
                     family == kPostingsFamily || family == kLexicalPostingsFamily || family == kDocTermsFamily;
  cf.write_buffer_size = large ? options.write_buffer_bytes : kSmallWriteBuffer;
  cf.compression = TextCompression();

  if (family == kDocumentsFamily || family == kExternalIdsFamily || family == kCodesFamily ||
      family == kDocTermsFamily || family == kSourcesFamily) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  }
  if (family == kDocumentsFamily || family == kCodesFamily) {
    // Their lookups are of documents that exist (search results, a replaced
    // document's codes): a bloom filter only helps a miss. Keep filters on the
    // upper levels, where they spare reading files without the key, and drop
    // them from the bottommost level, which holds nearly all keys after
    // Compact(): 1.25 bytes per document. external_ids keeps its filters: an
    // upsert of a new document looks up an id that is absent.
    cf.optimize_filters_for_hits = true;
  }
  if (family == kDocumentsFamily || family == kCodesFamily || family == kPostingsFamily) {
    table.block_size = kLargeBlockSize;
  }
  if (family == kDocumentsFamily || family == kExternalIdsFamily || family == kPostingsFamily ||
      family == kDocTermsFamily) {
    // ZSTD where the data settles (Compact() moves everything there): it cuts
    // the documents by a third and the postings' per-key overhead (RocksDB's
    // 8-byte sequence/type trailer, zero at the bottom level, and key deltas)
    // by 10% of the family, against LZ4. Flushes and upper levels keep LZ4:
    // they are rewritten soon. Decompressing a 16 KiB ZSTD block costs
    // ~20 us; hot blocks are cached uncompressed.
    cf.bottommost_compression = BottommostCompression();
  }
  if (family == kPostingsFamily) table.block_restart_interval = kPostingsRestartInterval;
  if (family == kCodesFamily) {
    // Residual codes are uniformly distributed bits, and the centroid ids are
    // Rice-coded: compressing them costs CPU on every scan and saves nothing.
    cf.compression = rocksdb::kNoCompression;
  }
  if (family == kPostingsFamily) {
    // Every write to postings is a Merge (rocksdb_postings.h): without the
    // operator the family can be neither read nor recovered, so it is set on
    // every open.
    cf.merge_operator = PostingsMergeOperator();
    cf.compaction_filter = PostingsCompactionFilter();
  }
  if (family == kLexicalPostingsFamily) {
    // Merge-only, like postings (rocksdb_lexical.h). A query reads a few
    // terms' segments, each up to 65536 postings (~250 KiB): 16 KiB blocks,
    // LZ4 at every level (ZSTD would cost ~1 ms per large segment on a cold
    // read), no bloom filter (prefix scans only).
    cf.merge_operator = LexicalMergeOperator();
    cf.compaction_filter = LexicalCompactionFilter();
    table.block_size = kLargeBlockSize;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

}  // namespace lateral::storage

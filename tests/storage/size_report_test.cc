// Bytes per token on disk, per column family, of a synthetic store shaped
// like a ColBERT index at 2 bits x 128 dims. Disabled (it takes ~30 s); run it
// with
//   storage_test --gtest_also_run_disabled_tests --gtest_filter='*SizeReport*'
// and, optionally, LATERAL_SIZE_REPORT_DOCS (default 20000),
// LATERAL_SIZE_REPORT_CENTROIDS (default 65536), LATERAL_SIZE_REPORT_DIR (keep
// the store there instead of a scratch directory).
//
// Documents: 30 to 300 tokens, 64 on average; each token takes a fresh
// centroid (uniform over K) with probability 0.7, else one the document
// already uses, which gives ~45 distinct centroids per 64 tokens. Records are
// like the benchmarks' synthetic corpus: an id, no text, three metadata fields.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "storage/key_format.h"
#include "storage/rocksdb_options.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

TEST(StoreSizeReport, DISABLED_BytesPerTokenPerFamily) {
  const int num_docs = EnvInt("LATERAL_SIZE_REPORT_DOCS", 20000);
  const int num_centroids = EnvInt("LATERAL_SIZE_REPORT_CENTROIDS", 65536);
  constexpr int kDim = 128, kNbits = 2, kCodeBytes = kDim * kNbits / 8;
  testing::ScratchDir scratch;
  const char* keep = std::getenv("LATERAL_SIZE_REPORT_DIR");
  const std::string path = keep != nullptr ? std::string(keep) : scratch.Sub("store");

  Manifest manifest;
  manifest.encoder_identity = "synthetic:dim128";
  manifest.dim = kDim;
  manifest.nbits = kNbits;
  auto opened = CollectionStore::Open(path, manifest);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<CollectionStore> store = std::move(*opened);
  CodecParts codec;
  codec.dim = kDim;
  codec.nbits = kNbits;
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  codec.centroids.resize(static_cast<size_t>(num_centroids) * kDim);
  for (float& x : codec.centroids) x = normal(rng);
  codec.bucket_cutoffs = {-0.05f, 0.0f, 0.05f};
  codec.bucket_weights = {-0.08f, -0.02f, 0.02f, 0.08f};
  LATERAL_ASSERT_OK(store->PutCodec(codec));

  std::exponential_distribution<double> extra_tokens(1.0 / 34);
  int64_t tokens = 0, distinct = 0;
  std::vector<DocumentWrite> batch;
  for (int doc = 0; doc < num_docs; ++doc) {
    DocumentWrite w;
    w.record.external_id = absl::StrCat("doc-", doc);
    w.record.metadata["topic"] = absl::StrCat("t", rng() % 1000);
    const int n = std::min(300, 30 + static_cast<int>(extra_tokens(rng)));
    w.record.metadata["length"] = static_cast<double>(n);
    w.record.metadata["shard"] = static_cast<double>(doc % 100);
    for (int t = 0; t < n; ++t) {
      const bool fresh = t == 0 || rng() % 10 < 7;
      w.codes.centroid_ids.push_back(fresh ? rng() % num_centroids
                                           : w.codes.centroid_ids[rng() % w.codes.centroid_ids.size()]);
    }
    w.codes.residual_codes.resize(static_cast<size_t>(n) * kCodeBytes);
    for (char& c : w.codes.residual_codes) c = static_cast<char>(rng());
    tokens += n;
    distinct += std::set<uint32_t>(w.codes.centroid_ids.begin(), w.codes.centroid_ids.end()).size();
    batch.push_back(std::move(w));
    if (batch.size() == 256 || doc + 1 == num_docs) {
      ASSERT_TRUE(store->Upsert(batch).ok());
      batch.clear();
    }
  }
  LATERAL_ASSERT_OK(store->Compact());
  auto disk = store->DiskBytes();
  ASSERT_TRUE(disk.ok()) << disk.status();
  // Read speed of the new layouts: an index load, and every inverted list.
  {
    auto snapshot = store->Snapshot();
    const auto start = std::chrono::steady_clock::now();
    int64_t scanned = 0;
    LATERAL_ASSERT_OK(snapshot->ForEachCodes([&](uint32_t, const DocumentCodes& codes) {
      scanned += codes.centroid_ids.size();
      return absl::OkStatus();
    }));
    const auto scan_done = std::chrono::steady_clock::now();
    int64_t postings = 0;
    for (int c = 0; c < num_centroids; ++c) {
      auto list = snapshot->GetPostings(c);
      ASSERT_TRUE(list.ok()) << list.status();
      postings += list->size();
    }
    const auto postings_done = std::chrono::steady_clock::now();
    EXPECT_EQ(scanned, tokens);
    EXPECT_EQ(postings, distinct);
    std::printf("ForEachCodes: %.0f ms (%.1f M tokens/s); GetPostings of all %d centroids: %.0f ms (%lld postings)\n",
                std::chrono::duration<double, std::milli>(scan_done - start).count(),
                tokens / std::chrono::duration<double>(scan_done - start).count() / 1e6, num_centroids,
                std::chrono::duration<double, std::milli>(postings_done - scan_done).count(),
                static_cast<long long>(postings));
  }
  store.reset();

  testing::RawDb raw(path);
  ASSERT_TRUE(raw.ok());
  std::map<std::string, uint64_t> family_bytes;
  uint64_t sst_total = 0;
  for (const std::string& name : storage::StoreFamilyNames()) {
    rocksdb::ColumnFamilyMetaData meta;
    raw.db()->GetColumnFamilyMetaData(raw.family(name), &meta);
    family_bytes[name] = meta.size;
    sst_total += meta.size;
  }
  std::printf("%d documents, %lld tokens (%.1f per document), %.1f distinct centroids per 64 tokens, K = %d\n",
              num_docs, static_cast<long long>(tokens), static_cast<double>(tokens) / num_docs,
              64.0 * distinct / tokens, num_centroids);
  std::printf("%-14s %14s %12s\n", "family", "bytes", "B/token");
  for (const auto& [name, bytes] : family_bytes) {
    std::printf("%-14s %14llu %12.3f\n", name.c_str(), static_cast<unsigned long long>(bytes),
                static_cast<double>(bytes) / tokens);
  }
  std::printf("%-14s %14llu %12.3f\n", "WAL+MANIFEST", static_cast<unsigned long long>(*disk - sst_total),
              static_cast<double>(*disk - sst_total) / tokens);
  std::printf("%-14s %14llu %12.3f\n", "DiskBytes()", static_cast<unsigned long long>(*disk),
              static_cast<double>(*disk) / tokens);
  std::printf("%-14s %14llu %12.3f\n", "without codec",
              static_cast<unsigned long long>(*disk - family_bytes[storage::kCodecFamily]),
              static_cast<double>(*disk - family_bytes[storage::kCodecFamily]) / tokens);
  EXPECT_GE(*disk, sst_total);
}

}  // namespace
}  // namespace lateral

// Timings of the lexical read path, for docs/STORAGE.md; disabled (a report,
// not a check). Run:
//   storage_test --gtest_also_run_disabled_tests --gtest_filter='*LexicalPerfReport*'
// LATERAL_LEXICAL_REPORT_DOCS sets the number of documents (default 100000).
//
// A lexical-only store of N passages (~400 bytes of text, ~80 distinct terms
// each: "common" in every 2nd document, "mid" in every 10th, the rest drawn
// log-uniformly from a 50k-term vocabulary, roughly Zipfian), written in
// batches of 1000. Reports the time to open it (writable and read-only, as
// `lateral search` would), and GetLexicalPostings of "common" (N/2 postings)
// and "mid" (N/10), the first call after an open and warm, before and after
// Compact().
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "tests/storage/store_test_util.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Report(const std::string& path, const std::string& label, int64_t n_docs) {
  std::vector<double> open_rw, open_ro;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    auto store = CollectionStore::Open(path, std::nullopt);
    open_rw.push_back(Ms(Clock::now() - t0));
    ASSERT_TRUE(store.ok()) << store.status();
  }
  StoreOptions read_only;
  read_only.read_only = true;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    auto store = CollectionStore::Open(path, std::nullopt, read_only);
    open_ro.push_back(Ms(Clock::now() - t0));
    ASSERT_TRUE(store.ok()) << store.status();
  }
  auto store = CollectionStore::Open(path, std::nullopt, read_only);
  ASSERT_TRUE(store.ok());
  auto snapshot = (*store)->Snapshot();
  std::cout << label << ": open writable " << Median(open_rw) << " ms, read-only " << Median(open_ro) << " ms\n";
  for (const char* term : {"common", "mid"}) {
    auto t0 = Clock::now();
    auto first = snapshot->GetLexicalPostings(term);
    const double first_ms = Ms(Clock::now() - t0);
    ASSERT_TRUE(first.ok()) << first.status();
    std::vector<double> warm;
    for (int i = 0; i < 21; ++i) {
      t0 = Clock::now();
      auto postings = snapshot->GetLexicalPostings(term);
      warm.push_back(Ms(Clock::now() - t0));
      ASSERT_TRUE(postings.ok());
    }
    const double warm_ms = Median(warm);
    std::cout << label << ": GetLexicalPostings(\"" << term << "\") " << first->size() << " postings: first "
              << first_ms << " ms, warm " << warm_ms << " ms (" << first->size() / warm_ms / 1000.0
              << " M postings/s)\n";
  }
  auto stats = snapshot->GetLexicalStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->num_documents, n_docs);
}

TEST(LexicalPerfReport, DISABLED_OpenAndRead) {
  int64_t n_docs = 100000;
  if (const char* env = std::getenv("LATERAL_LEXICAL_REPORT_DOCS")) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &n_docs));
  }
  testing::ScratchDir dir;
  // LATERAL_LEXICAL_REPORT_DIR keeps the store there (and reuses it if present).
  const char* keep = std::getenv("LATERAL_LEXICAL_REPORT_DIR");
  const std::string path = keep != nullptr ? std::string(keep) : dir.Sub("store");
  const bool reuse = keep != nullptr && std::filesystem::exists(path);
  constexpr int kVocabulary = 50000;
  std::mt19937 rng(1);
  auto t0 = Clock::now();
  if (!reuse) {
    auto store = CollectionStore::Open(path, testing::LexicalOnlyManifest());
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<DocumentWrite> batch;
    for (int64_t d = 0; d < n_docs; ++d) {
      DocumentWrite w;
      w.record.external_id = absl::StrCat("passages/file", d / 20, ".md#", d % 20);
      w.record.text = std::string(400, 'a' + d % 26);
      std::set<std::string> terms;
      if (d % 2 == 0) terms.insert("common");
      if (d % 10 == 0) terms.insert("mid");
      while (terms.size() < 80) {
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        terms.insert(absl::StrCat("t", static_cast<int>(std::exp(u * std::log(kVocabulary)))));
      }
      for (const std::string& t : terms) {
        const uint32_t tf = 1 + rng() % 4;
        w.lexical.term_frequencies.emplace_back(t, tf);
        w.lexical.length += tf;
      }
      batch.push_back(std::move(w));
      if (batch.size() == 1000 || d + 1 == n_docs) {
        ASSERT_TRUE((*store)->Upsert(batch).ok());
        batch.clear();
      }
    }
  }
  std::cout << "wrote " << n_docs << " documents in " << Ms(Clock::now() - t0) / 1000 << " s\n";
  Report(path, "before Compact", n_docs);
  {
    auto store = CollectionStore::Open(path, std::nullopt);
    ASSERT_TRUE(store.ok());
    t0 = Clock::now();
    ASSERT_TRUE((*store)->Compact().ok());
    std::cout << "Compact " << Ms(Clock::now() - t0) / 1000 << " s, "
              << (*store)->DiskBytes().value() / 1048576.0 << " MiB on disk\n";
  }
  Report(path, "after Compact", n_docs);
}

}  // namespace
}  // namespace lateral

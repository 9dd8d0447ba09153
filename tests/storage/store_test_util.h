// Helpers shared by the storage tests: scratch directories, small synthetic
// codecs and documents, and a full consistency check of a store.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/collection_store.h"
#include "storage/lexical_types.h"

#define LATERAL_ASSERT_OK(expr)            \
  do {                                     \
    const ::absl::Status status_ = (expr); \
    ASSERT_TRUE(status_.ok()) << status_;  \
  } while (0)
#define LATERAL_EXPECT_OK(expr)            \
  do {                                     \
    const ::absl::Status status_ = (expr); \
    EXPECT_TRUE(status_.ok()) << status_;  \
  } while (0)

namespace lateral::testing {

// A directory under the test temp dir, removed when the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = absl::StrCat(::testing::TempDir(), "lateral_storage_", getpid(), "_", info ? info->name() : "x",
                         "_", counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // A path inside the directory that does not exist yet.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

constexpr int kTestDim = 16;
constexpr int kTestNbits = 2;
constexpr int kTestCodeBytes = kTestDim * kTestNbits / 8;
constexpr int kTestCentroids = 32;

inline Manifest TestManifest() {
  Manifest m;
  m.encoder_identity = "synthetic:dim16";
  m.dim = kTestDim;
  m.nbits = kTestNbits;
  return m;
}

inline CodecParts TestCodec(int num_centroids = kTestCentroids) {
  CodecParts c;
  c.dim = kTestDim;
  c.nbits = kTestNbits;
  for (int i = 0; i < num_centroids * kTestDim; ++i) c.centroids.push_back(0.001f * i - 0.5f);
  c.bucket_cutoffs = {-0.1f, 0.0f, 0.1f};
  c.bucket_weights = {-0.2f, -0.05f, 0.05f, 0.2f};
  return c;
}

// Lexical terms of the test documents come from a small vocabulary (some
// terms multi-byte UTF-8), so that postings lists are long and shared.
constexpr int kTestVocabulary = 48;
inline std::string TestTerm(int i) { return i % 7 == 0 ? absl::StrCat("\xC3\xA9t\xC3\xA9", i) : absl::StrCat("w", i); }

// 0 to 6 distinct terms with frequencies 1 to 3, derived from `seed`.
inline LexicalTerms TestTerms(uint32_t seed) {
  std::mt19937 rng(seed ^ 0x5bd1e995u);
  LexicalTerms terms;
  const int n = rng() % 7;
  std::vector<int> picked;
  while (static_cast<int>(picked.size()) < n) {
    const int t = rng() % kTestVocabulary;
    if (std::find(picked.begin(), picked.end(), t) != picked.end()) continue;
    picked.push_back(t);
    const uint32_t tf = 1 + rng() % 3;
    terms.term_frequencies.emplace_back(TestTerm(t), tf);
    terms.length += tf;
  }
  return terms;
}

// A document with `n_tokens` tokens whose centroids, codes and lexical terms
// derive from `seed`.
inline DocumentWrite TestDocument(const std::string& external_id, uint32_t seed, int n_tokens = 8,
                                  int num_centroids = kTestCentroids) {
  std::mt19937 rng(seed);
  DocumentWrite w;
  w.record.external_id = external_id;
  w.record.text = absl::StrCat("text of ", external_id, " seed ", seed);
  w.record.metadata["lang"] = std::string(seed % 2 ? "fr" : "en");
  w.record.metadata["year"] = 1900.0 + seed % 200;
  for (int t = 0; t < n_tokens; ++t) w.codes.centroid_ids.push_back(rng() % num_centroids);
  for (int b = 0; b < n_tokens * kTestCodeBytes; ++b)
    w.codes.residual_codes.push_back(static_cast<char>(rng()));
  w.lexical = TestTerms(seed);
  return w;
}

// The same document for a lexical-only store: no codes.
inline DocumentWrite TestLexicalDocument(const std::string& external_id, uint32_t seed) {
  DocumentWrite w = TestDocument(external_id, seed, 1);
  w.codes = DocumentCodes();
  return w;
}

inline Manifest LexicalOnlyManifest() { return Manifest(); }

inline bool SameRecord(const DocumentRecord& a, const DocumentRecord& b) {
  return a.external_id == b.external_id && a.text == b.text && a.metadata == b.metadata;
}

// Counts the live documents and postings (over centroids [0, num_centroids)).
struct StoreCounts {
  int64_t documents = 0;
  int64_t postings = 0;
  bool operator==(const StoreCounts&) const = default;
};
inline StoreCounts Count(const StoreSnapshot& snapshot, int num_centroids = kTestCentroids) {
  StoreCounts counts;
  EXPECT_TRUE(snapshot
                  .ForEachDocument([&](uint32_t, const DocumentRecord&) {
                    ++counts.documents;
                    return absl::OkStatus();
                  })
                  .ok());
  for (int c = 0; c < num_centroids; ++c) {
    auto postings = snapshot.GetPostings(c);
    EXPECT_TRUE(postings.ok()) << postings.status();
    if (postings.ok()) counts.postings += postings->size();
  }
  return counts;
}

// Checks, through the public API, every invariant a store must keep after
// any sequence of writes and crashes:
//   - every document has codes and its external id maps back to it;
//   - every codes entry belongs to a document;
//   - every posting (c, d) points to a live document whose codes contain c;
//   - every document's distinct centroids all have their posting;
//   - NumDocuments() equals the number of documents;
//   - CheckLexicalInvariants.
// Orphan external ids (pointing to no document) are checked by the caller
// with RocksDB directly, as the API offers no scan of them.
::testing::AssertionResult CheckStoreInvariants(const StoreSnapshot& snapshot, int num_centroids);

// The lexical side, for any store: every document's stored terms are valid,
// the postings of every term of TestTerm(0 .. kTestVocabulary) and of every
// stored term are exactly (doc, tf, length) of the live documents holding
// it, ascending, and GetLexicalStats() counts the documents with terms and
// sums their lengths.
::testing::AssertionResult CheckLexicalInvariants(const StoreSnapshot& snapshot);

// The expected postings of a document set: term -> postings by ascending id.
std::map<std::string, std::vector<LexicalPosting>> ExpectedPostings(
    const std::map<uint32_t, LexicalTerms>& terms_of);

}  // namespace lateral::testing

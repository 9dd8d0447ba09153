// BM25 search over lexical posting lists: lateral's default search when no
// model is configured, and the lexical half of hybrid search (see fusion.h).
//
// A LexicalPostingSource serves postings and collection statistics: the
// collection store implements it over RocksDB (storage/), InMemoryLexicalIndex
// below over plain vectors (tests, benchmarks). Query terms must come from the
// same Analyzer (index/lexical/analyzer.h) that produced the documents' terms.
//
// Scoring (Robertson/Sparck Jones BM25 as Lucene computes it, without the
// (k1 + 1) factor, which scales every score equally):
//   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))          always > 0
//   score(d, q) = sum over query terms t of
//                 idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl))
// with N = Stats().num_documents, avgdl = total_length / N, df = the length
// of t's posting list, tf and dl from the posting. A term that appears several
// times in the query counts once per occurrence (its contribution is
// multiplied), as it does for FTS5 and Xapian given the same OR query; an
// empty query term is ignored. Hits are the k best documents with score > 0
// by descending score, ties by ascending doc id. allowed_docs only removes
// documents from the result; it changes neither N nor df, so a filtered search
// ranks the remaining documents exactly as the unfiltered one does.
//
// SearchBm25 accumulates term at a time into a dense array indexed by doc id
// (sized by the largest doc id in the postings) and selects the top k. Scores
// are accumulated in double and returned as float. Thread-compatible: many
// threads may search one source concurrently if the source allows it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "storage/lexical_types.h"

namespace lateral {

class LexicalPostingSource {
 public:
  virtual ~LexicalPostingSource() = default;
  // Every live document containing `term`, in any order, each doc id once.
  // An unknown term gives an empty list, not an error.
  virtual absl::StatusOr<std::vector<LexicalPosting>> Postings(const std::string& term) const = 0;
  virtual absl::StatusOr<LexicalStats> Stats() const = 0;
};

// Postings in memory; Add() a document's terms (from Analyzer::Terms). Not
// thread-safe for Add; const methods may run concurrently.
class InMemoryLexicalIndex : public LexicalPostingSource {
 public:
  // InvalidArgument if doc_id was added before, a term is empty, a frequency
  // is 0, or the frequencies do not sum to terms.length.
  absl::Status Add(uint32_t doc_id, const LexicalTerms& terms);

  absl::StatusOr<std::vector<LexicalPosting>> Postings(const std::string& term) const override;
  absl::StatusOr<LexicalStats> Stats() const override;

  size_t num_terms() const { return postings_.size(); }

 private:
  absl::flat_hash_map<std::string, std::vector<LexicalPosting>> postings_;
  absl::flat_hash_map<uint32_t, uint32_t> doc_lengths_;
  LexicalStats stats_;
};

struct Bm25Options {
  double k1 = 1.2;   // term-frequency saturation; finite and >= 0
  double b = 0.75;   // length normalisation; in [0, 1]
  size_t k = 10;     // hits returned; >= 1
  // Indexed by doc id: true keeps the document. Doc ids beyond its size are
  // excluded. nullptr keeps every document.
  const std::vector<bool>* allowed_docs = nullptr;
};

struct LexicalHit {
  uint32_t doc_id = 0;
  float score = 0;
};

// The k best documents for `query_terms` (see the file comment). Errors:
// InvalidArgument naming the bad option; errors of the source, passed on.
absl::StatusOr<std::vector<LexicalHit>> SearchBm25(const LexicalPostingSource& source,
                                                   const std::vector<std::string>& query_terms,
                                                   const Bm25Options& options);

// The same ranking computed the obvious way (a map of every scored document,
// full sort); the oracle for SearchBm25 in tests.
absl::StatusOr<std::vector<LexicalHit>> NaiveBm25(const LexicalPostingSource& source,
                                                  const std::vector<std::string>& query_terms,
                                                  const Bm25Options& options);

// InvalidArgument naming the first bad field of `options`, else OK.
absl::Status ValidateBm25Options(const Bm25Options& options);

}  // namespace lateral

// Synthetic token embeddings shaped like ColBERT's, for tests and benchmarks:
// unit vectors scattered around topic directions, documents of 30-300
// tokens drawing most tokens from a few topics, and queries of 32 vectors
// drawn near the tokens of a known target document.
//
// Deterministic for a given seed, and generated document by document so a
// benchmark can stream a million documents without holding them all.
// SyntheticDocumentSource feeds them to the index builder (external ids
// "doc-<index>", metadata fields "topic" (string, the first topic), "length"
// (number of tokens) and "shard" (index mod 100, a number) for filter tests).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "index/index_builder.h"

namespace lateral::testing {

struct SyntheticCorpusOptions {
  int dim = 128;
  int topics = 4096;
  // Lengths: min_tokens plus an exponential tail with this mean, clipped at
  // max_tokens -- mostly short passages, a few long ones; the mean of 64
  // gives the ~64M vectors per million documents the benchmarks target.
  int min_tokens = 30;
  int max_tokens = 300;
  double mean_tokens = 64;
  int topics_per_document = 4;
  float token_noise = 0.25f;  // spread of a token around its topic direction
  float query_noise = 0.15f;  // spread of a query vector around its source token
  int query_tokens = 32;
  uint64_t seed = 42;
};

class SyntheticCorpus {
 public:
  explicit SyntheticCorpus(const SyntheticCorpusOptions& options);

  // The vectors of document `index` ([tokens, dim], unit rows); the same
  // index always gives the same document.
  std::vector<float> Document(int64_t index) const;
  // The first topic of document `index` (its "topic" metadata).
  int FirstTopic(int64_t index) const;
  // A query built from document `target`'s tokens plus noise ([query_tokens, dim]).
  std::vector<float> QueryNear(int64_t target, uint64_t query_seed) const;
  int dim() const { return options_.dim; }
  const SyntheticCorpusOptions& options() const { return options_; }

 private:
  SyntheticCorpusOptions options_;
  std::vector<float> topics_;  // [topics, dim], unit rows
};

// Documents [0, count) of a corpus, optionally with an index offset so that
// a second source can add new documents after the first.
class SyntheticDocumentSource : public DocumentSource {
 public:
  SyntheticDocumentSource(const SyntheticCorpus& corpus, int64_t count, int64_t first = 0)
      : corpus_(corpus), count_(count), first_(first) {}
  int64_t size() const override { return count_; }
  absl::Status Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) override;
  absl::Status GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) override;
  // The record of corpus document `index`.
  static DocumentRecord Record(const SyntheticCorpus& corpus, int64_t index, int64_t tokens);

 private:
  const SyntheticCorpus& corpus_;
  int64_t count_, first_;
};

}  // namespace lateral::testing

#include "benchmarks/synthetic/synthetic_corpus.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "tbb/parallel_for.h"

namespace lateral::testing {
namespace {

void Normalize(float* v, int dim) {
  double norm = 0;
  for (int d = 0; d < dim; ++d) norm += static_cast<double>(v[d]) * v[d];
  const float inv = static_cast<float>(1.0 / std::sqrt(std::max(norm, 1e-30)));
  for (int d = 0; d < dim; ++d) v[d] *= inv;
}

}  // namespace

SyntheticCorpus::SyntheticCorpus(const SyntheticCorpusOptions& options) : options_(options) {
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> normal;
  topics_.resize(static_cast<size_t>(options.topics) * options.dim);
  for (float& x : topics_) x = normal(rng);
  for (int t = 0; t < options.topics; ++t) Normalize(topics_.data() + static_cast<size_t>(t) * options.dim, options.dim);
}

std::vector<float> SyntheticCorpus::Document(int64_t index) const {
  std::mt19937_64 rng(options_.seed * 1000003 + static_cast<uint64_t>(index) * 7919 + 1);
  std::normal_distribution<float> normal;
  const int dim = options_.dim;
  std::exponential_distribution<double> tail(1.0 / std::max(1.0, options_.mean_tokens - options_.min_tokens));
  const int tokens = std::min(options_.max_tokens, options_.min_tokens + static_cast<int>(tail(rng)));
  std::vector<int> doc_topics(options_.topics_per_document);
  for (int& t : doc_topics) t = static_cast<int>(rng() % options_.topics);
  std::vector<float> out(static_cast<size_t>(tokens) * dim);
  for (int i = 0; i < tokens; ++i) {
    // Most tokens come from the document's topics, some from anywhere.
    const int topic = rng() % 5 == 0 ? static_cast<int>(rng() % options_.topics) : doc_topics[rng() % doc_topics.size()];
    float* v = out.data() + static_cast<size_t>(i) * dim;
    const float* c = topics_.data() + static_cast<size_t>(topic) * dim;
    for (int d = 0; d < dim; ++d) v[d] = c[d] + options_.token_noise * normal(rng) / std::sqrt(static_cast<float>(dim)) * 2.0f;
    Normalize(v, dim);
  }
  return out;
}

std::vector<float> SyntheticCorpus::QueryNear(int64_t target, uint64_t query_seed) const {
  const std::vector<float> doc = Document(target);
  const int dim = options_.dim;
  const int64_t tokens = static_cast<int64_t>(doc.size()) / dim;
  std::mt19937_64 rng(query_seed * 31 + static_cast<uint64_t>(target));
  std::normal_distribution<float> normal;
  std::vector<float> q(static_cast<size_t>(options_.query_tokens) * dim);
  for (int i = 0; i < options_.query_tokens; ++i) {
    const float* src = doc.data() + static_cast<size_t>(rng() % tokens) * dim;
    float* v = q.data() + static_cast<size_t>(i) * dim;
    for (int d = 0; d < dim; ++d) v[d] = src[d] + options_.query_noise * normal(rng) / std::sqrt(static_cast<float>(dim)) * 2.0f;
    Normalize(v, dim);
  }
  return q;
}

int SyntheticCorpus::FirstTopic(int64_t index) const {
  // Replays the start of Document()'s random stream.
  std::mt19937_64 rng(options_.seed * 1000003 + static_cast<uint64_t>(index) * 7919 + 1);
  std::exponential_distribution<double> tail(1.0 / std::max(1.0, options_.mean_tokens - options_.min_tokens));
  (void)tail(rng);
  return static_cast<int>(rng() % options_.topics);
}

DocumentRecord SyntheticDocumentSource::Record(const SyntheticCorpus& corpus, int64_t index, int64_t tokens) {
  DocumentRecord r;
  r.external_id = absl::StrCat("doc-", index);
  r.metadata["topic"] = absl::StrCat("t", corpus.FirstTopic(index));
  r.metadata["length"] = static_cast<double>(tokens);
  r.metadata["shard"] = static_cast<double>(index % 100);
  return r;
}

absl::Status SyntheticDocumentSource::Get(int64_t begin, int64_t end, std::vector<DocumentVectors>& out) {
  std::vector<int64_t> indices;
  for (int64_t i = begin; i < end; ++i) indices.push_back(i);
  return GetSome(indices, out);
}

absl::Status SyntheticDocumentSource::GetSome(const std::vector<int64_t>& indices, std::vector<DocumentVectors>& out) {
  out.resize(indices.size());
  tbb::parallel_for(size_t{0}, indices.size(), [&](size_t i) {
    const int64_t index = first_ + indices[i];
    out[i].vectors = corpus_.Document(index);
    out[i].record = Record(corpus_, index, static_cast<int64_t>(out[i].vectors.size()) / corpus_.dim());
  });
  return absl::OkStatus();
}

}  // namespace lateral::testing

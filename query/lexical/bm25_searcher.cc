#include "query/lexical/bm25_searcher.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

bool Allowed(const Bm25Options& options, uint32_t doc_id) {
  if (options.allowed_docs == nullptr) return true;
  return doc_id < options.allowed_docs->size() && (*options.allowed_docs)[doc_id];
}

double Idf(int64_t num_documents, size_t df) {
  const double n = static_cast<double>(num_documents);
  const double d = static_cast<double>(df);
  return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
}

struct Collection {
  int64_t num_documents = 0;
  double avgdl = 1;
};

absl::StatusOr<Collection> ReadCollection(const LexicalPostingSource& source) {
  LATERAL_ASSIGN_OR_RETURN(LexicalStats stats, source.Stats());
  Collection c;
  c.num_documents = stats.num_documents;
  if (stats.num_documents > 0 && stats.total_length > 0) {
    c.avgdl = static_cast<double>(stats.total_length) / static_cast<double>(stats.num_documents);
  }
  return c;
}

// Per-posting BM25 term weight without idf.
inline double TermWeight(const LexicalPosting& p, double k1, double b, double avgdl) {
  const double tf = p.term_frequency;
  return tf / (tf + k1 * (1.0 - b + b * static_cast<double>(p.doc_length) / avgdl));
}

// Ranks on the float scores that are returned, so that equal returned scores
// are always ordered by doc id.
bool Better(float score_a, uint32_t id_a, float score_b, uint32_t id_b) {
  if (score_a != score_b) return score_a > score_b;
  return id_a < id_b;
}

}  // namespace

absl::Status ValidateBm25Options(const Bm25Options& options) {
  if (!std::isfinite(options.k1) || options.k1 < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Bm25Options.k1 must be finite and >= 0, got ", options.k1));
  }
  if (!(options.b >= 0 && options.b <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("Bm25Options.b must be in [0, 1], got ", options.b));
  }
  if (options.k == 0) return absl::InvalidArgumentError("Bm25Options.k must be >= 1, got 0");
  return absl::OkStatus();
}

absl::Status InMemoryLexicalIndex::Add(uint32_t doc_id, const LexicalTerms& terms) {
  if (doc_lengths_.contains(doc_id)) {
    return absl::InvalidArgumentError(absl::StrCat("lexical index: doc id ", doc_id, " added twice"));
  }
  uint64_t sum = 0;
  for (const auto& [term, tf] : terms.term_frequencies) {
    if (term.empty() || tf == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lexical index: doc id ", doc_id, ": empty term or zero frequency (term \"", term, "\")"));
    }
    sum += tf;
  }
  if (sum != terms.length) {
    return absl::InvalidArgumentError(absl::StrCat("lexical index: doc id ", doc_id, ": length ",
                                                   terms.length, " != sum of frequencies ", sum));
  }
  for (const auto& [term, tf] : terms.term_frequencies) {
    postings_[term].push_back(LexicalPosting{doc_id, tf, terms.length});
  }
  doc_lengths_[doc_id] = terms.length;
  stats_.num_documents += 1;
  stats_.total_length += terms.length;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LexicalPosting>> InMemoryLexicalIndex::Postings(const std::string& term) const {
  auto it = postings_.find(term);
  if (it == postings_.end()) return std::vector<LexicalPosting>();
  return it->second;
}

absl::StatusOr<LexicalStats> InMemoryLexicalIndex::Stats() const { return stats_; }

absl::StatusOr<std::vector<LexicalHit>> SearchBm25(const LexicalPostingSource& source,
                                                   const std::vector<std::string>& query_terms,
                                                   const Bm25Options& options) {
  LATERAL_RETURN_IF_ERROR(ValidateBm25Options(options));
  LATERAL_ASSIGN_OR_RETURN(Collection collection, ReadCollection(source));
  if (collection.num_documents <= 0) return std::vector<LexicalHit>();

  // Distinct terms in first-occurrence order, with their query multiplicity.
  std::vector<std::pair<const std::string*, int>> terms;
  for (const std::string& t : query_terms) {
    if (t.empty()) continue;
    auto it = std::find_if(terms.begin(), terms.end(), [&](const auto& e) { return *e.first == t; });
    if (it == terms.end()) {
      terms.emplace_back(&t, 1);
    } else {
      ++it->second;
    }
  }
  std::vector<std::vector<LexicalPosting>> lists;
  lists.reserve(terms.size());
  uint32_t max_doc = 0;
  bool any = false;
  for (const auto& [term, count] : terms) {
    LATERAL_ASSIGN_OR_RETURN(std::vector<LexicalPosting> list, source.Postings(*term));
    for (const LexicalPosting& p : list) max_doc = std::max(max_doc, p.doc_id);
    any = any || !list.empty();
    lists.push_back(std::move(list));
  }
  if (!any) return std::vector<LexicalHit>();

  // The accumulator is reused by later queries on this thread; only the
  // touched entries are reset.
  thread_local std::vector<double> scores;
  if (scores.size() < static_cast<size_t>(max_doc) + 1) scores.resize(static_cast<size_t>(max_doc) + 1, 0.0);
  std::vector<uint32_t> touched;
  for (size_t i = 0; i < terms.size(); ++i) {
    const std::vector<LexicalPosting>& list = lists[i];
    if (list.empty()) continue;
    const double weight = Idf(collection.num_documents, list.size()) * terms[i].second;
    for (const LexicalPosting& p : list) {
      if (p.term_frequency == 0 || !Allowed(options, p.doc_id)) continue;
      double& s = scores[p.doc_id];
      if (s == 0) touched.push_back(p.doc_id);
      s += weight * TermWeight(p, options.k1, options.b, collection.avgdl);
    }
  }

  std::vector<std::pair<float, uint32_t>> candidates;
  candidates.reserve(touched.size());
  for (uint32_t doc : touched) {
    const float score = static_cast<float>(scores[doc]);
    if (score > 0) candidates.emplace_back(score, doc);
    scores[doc] = 0;
  }
  auto better = [](const auto& a, const auto& b) { return Better(a.first, a.second, b.first, b.second); };
  const size_t k = std::min(options.k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + k, candidates.end(), better);
  std::vector<LexicalHit> hits;
  hits.reserve(k);
  for (size_t i = 0; i < k; ++i) {
    hits.push_back(LexicalHit{candidates[i].second, candidates[i].first});
  }
  return hits;
}

absl::StatusOr<std::vector<LexicalHit>> NaiveBm25(const LexicalPostingSource& source,
                                                  const std::vector<std::string>& query_terms,
                                                  const Bm25Options& options) {
  LATERAL_RETURN_IF_ERROR(ValidateBm25Options(options));
  LATERAL_ASSIGN_OR_RETURN(Collection collection, ReadCollection(source));
  if (collection.num_documents <= 0) return std::vector<LexicalHit>();
  // Every occurrence of a query term adds its own contribution.
  std::map<uint32_t, double> scores;
  for (const std::string& term : query_terms) {
    if (term.empty()) continue;
    LATERAL_ASSIGN_OR_RETURN(std::vector<LexicalPosting> list, source.Postings(term));
    const double idf = Idf(collection.num_documents, list.size());
    for (const LexicalPosting& p : list) {
      if (!Allowed(options, p.doc_id)) continue;
      scores[p.doc_id] += idf * TermWeight(p, options.k1, options.b, collection.avgdl);
    }
  }
  std::vector<std::pair<float, uint32_t>> all;
  for (const auto& [doc, score] : scores) {
    if (static_cast<float>(score) > 0) all.emplace_back(static_cast<float>(score), doc);
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return Better(a.first, a.second, b.first, b.second); });
  std::vector<LexicalHit> hits;
  for (size_t i = 0; i < all.size() && i < options.k; ++i) {
    hits.push_back(LexicalHit{all[i].second, all[i].first});
  }
  return hits;
}

}  // namespace lateral

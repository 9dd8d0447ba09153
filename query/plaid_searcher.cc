#include "query/plaid_searcher.h"

#include <emmintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/blas_threading.h"
#include "common/top_k.h"
#include "query/kernels/maxsim_kernels.h"
#include "tbb/parallel_for.h"

namespace lateral {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

using Scored = std::pair<float, uint32_t>;  // (score, slot)

absl::Status CheckQuery(const SearchableIndex& index, const TokenMatrix& query) {
  if (query.dim != index.codec().dim()) {
    return absl::InvalidArgumentError(absl::StrCat("query vectors have dimension ", query.dim, ", the index has ",
                                                   index.codec().dim()));
  }
  if (query.rows <= 0 || query.data == nullptr) return absl::InvalidArgumentError("the query has no vectors");
  for (int64_t i = 0; i < query.rows * query.dim; ++i) {
    if (!std::isfinite(query.data[i])) {
      return absl::InvalidArgumentError(absl::StrCat("query vector ", i / query.dim, " has a NaN or infinite value"));
    }
  }
  return absl::OkStatus();
}

// Keeps the `keep` best pairs, best first; ties go to the lower slot so
// results are deterministic.
void KeepTop(std::vector<Scored>& scored, size_t keep) {
  auto better = [](const Scored& a, const Scored& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  if (scored.size() > keep) {
    std::nth_element(scored.begin(), scored.begin() + keep, scored.end(), better);
    scored.resize(keep);
  }
  std::sort(scored.begin(), scored.end(), better);
}

// best[i] = max(best[i], row[i]) for i < n (SSE2: baseline x86-64).
inline void MaxInto(float* best, const float* row, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(best + i, _mm_max_ps(_mm_loadu_ps(best + i), _mm_loadu_ps(row + i)));
  for (; i < n; ++i) best[i] = std::max(best[i], row[i]);
}

// Exact MaxSim of the query against each slot's decompressed vectors.
absl::StatusOr<std::vector<Scored>> ExactScores(const SearchableIndex& index, const TokenMatrix& query,
                                                const std::vector<uint32_t>& slots) {
  std::vector<Scored> out(slots.size());
  std::vector<absl::Status> errors(slots.size());
  const int dim = index.codec().dim();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, slots.size(), 8), [&](const tbb::blocked_range<size_t>& r) {
    std::vector<float> doc;
    for (size_t i = r.begin(); i < r.end(); ++i) {
      errors[i] = index.DecodeDocument(slots[i], doc);
      if (!errors[i].ok()) continue;
      const int64_t n = static_cast<int64_t>(doc.size()) / dim;
      out[i] = {MaxSimKernel(query.data, query.rows, doc.data(), n, dim), slots[i]};
    }
  });
  for (absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  return out;
}

// Exact MaxSim of `slots`, the best k as hits (best first).
absl::StatusOr<std::vector<SearchHit>> ExactTopK(const SearchableIndex& index, const TokenMatrix& query,
                                                 const std::vector<uint32_t>& slots, int k) {
  absl::StatusOr<std::vector<Scored>> scored = ExactScores(index, query, slots);
  if (!scored.ok()) return scored.status();
  KeepTop(*scored, static_cast<size_t>(k));
  std::vector<SearchHit> hits;
  hits.reserve(scored->size());
  for (const Scored& s : *scored) hits.push_back({index.doc_id(s.second), s.first});
  return hits;
}

// The allowed-slot bitmap from a filter and/or a caller's bitmap. A caller's
// bitmap alone is used in place (a copy per query would cost a pass over
// every document); bits() is null when everything is allowed.
struct AllowedSet {
  std::vector<uint8_t> owned;                       // from a filter
  const std::vector<uint8_t>* external = nullptr;   // the caller's, when there is no filter
  bool use_owned = false;
  // Resolved on use, not stored, so the set can be moved.
  const std::vector<uint8_t>* bits() const { return use_owned ? &owned : external; }
};

absl::StatusOr<AllowedSet> AllowedSlots(const SearchableIndex& index, const SearchOptions& o) {
  AllowedSet allowed;
  if (o.allowed_slots != nullptr && static_cast<int64_t>(o.allowed_slots->size()) != index.num_documents()) {
    return absl::InvalidArgumentError(absl::StrCat("the slot filter has ", o.allowed_slots->size(),
                                                   " entries; the index has ", index.num_documents(), " documents"));
  }
  if (o.filter == nullptr) {
    allowed.external = o.allowed_slots;
    return allowed;
  }
  if (index.metadata().num_slots() != index.num_documents()) {
    return absl::FailedPreconditionError("this index was loaded without metadata; filters need it");
  }
  absl::StatusOr<std::vector<uint8_t>> from_filter = index.metadata().Evaluate(*o.filter);
  if (!from_filter.ok()) return from_filter.status();
  allowed.owned = std::move(*from_filter);
  if (o.allowed_slots != nullptr) {
    for (size_t s = 0; s < allowed.owned.size(); ++s) allowed.owned[s] &= (*o.allowed_slots)[s];
  }
  allowed.use_owned = true;
  return allowed;
}

// The `cells` best centroids of each query token (by S[c][i]), as one
// deduplicated list. One pass over S: a row is skipped unless its best
// score beats the weakest token's current cutoff, which after the first
// rows is almost always true.
std::vector<uint32_t> TopCells(const float* scores, const float* row_max, int64_t k_centroids, int64_t nq,
                               int64_t cells) {
  cells = std::min(cells, k_centroids);
  std::vector<float> top_score(nq * cells, kNegInf);
  std::vector<uint32_t> top_id(nq * cells, 0);
  std::vector<float> cutoff(nq, kNegInf);
  float weakest = kNegInf;
  for (int64_t c = 0; c < k_centroids; ++c) {
    if (row_max[c] <= weakest) continue;
    const float* row = scores + c * nq;
    for (int64_t i = 0; i < nq; ++i) {
      float* ts = top_score.data() + i * cells;
      if (InsertTopK(row[i], static_cast<uint32_t>(c), ts, top_id.data() + i * cells, cells)) cutoff[i] = ts[cells - 1];
    }
    weakest = *std::min_element(cutoff.begin(), cutoff.end());
  }
  std::vector<uint32_t> out;
  for (int64_t i = 0; i < nq * cells; ++i) {
    if (top_score[i] > kNegInf) out.push_back(top_id[i]);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

SearchOptions ResolveSearchOptions(const SearchOptions& options) {
  SearchOptions o = options;
  const int k = std::max(1, o.k);
  // PLAID's ncells (1 / 2 / 4) loses true top-k documents at candidate
  // generation (RETRIEVAL.md §8: RBO 0.61 vs exhaustive at k = 10); four
  // times the cells reaches recall@k >= 0.99 on our benchmarks for little
  // cost, since stage 3 runs from the kept centroids' postings and does not
  // grow with the candidates (benchmarks/RESULTS.md, "knob sweep").
  if (o.ncells <= 0) o.ncells = k <= 10 ? 4 : k <= 100 ? 8 : 16;
  if (o.centroid_score_threshold < 0) o.centroid_score_threshold = k <= 10 ? 0.5f : k <= 100 ? 0.45f : 0.4f;
  // ndocs: twice PLAID's. The centroid approximation must pass the true top
  // k among ndocs / 4 documents to the exact stage, and near-equal
  // competitors make that harder than PLAID's values allow (k = 10 at 100k
  // documents: ndocs 256 -> recall@10 0.957, 512 -> 0.993; k = 100: 1024 ->
  // 0.97, 2048 -> 1.00).
  if (o.ndocs <= 0) o.ndocs = k <= 10 ? 512 : k <= 100 ? 2048 : std::max(8 * k, 8192);
  o.ndocs = std::max(o.ndocs, 4 * k);
  return o;
}

PlaidSearcher::PlaidSearcher(std::shared_ptr<const SearchableIndex> index)
    : index_((SetUpBlasThreading(), std::move(index))),
      scorer_(index_->codec().centroids().data(), index_->codec().num_centroids(), index_->codec().dim()) {}

absl::StatusOr<std::vector<SearchHit>> PlaidSearcher::Search(const TokenMatrix& query, const SearchOptions& requested,
                                                             SearchProfile* profile) const {
  const auto start = Clock::now();
  const SearchableIndex& index = *index_;
  if (absl::Status s = CheckQuery(index, query); !s.ok()) return s;
  if (requested.k <= 0) return absl::InvalidArgumentError(absl::StrCat("k must be positive, not ", requested.k));
  const SearchOptions o = ResolveSearchOptions(requested);
  SearchProfile local;
  SearchProfile& p = profile ? *profile : local;
  p = SearchProfile();
  const int64_t nq = query.rows, k_centroids = index.codec().num_centroids(), num_docs = index.num_documents();

  auto t = Clock::now();
  absl::StatusOr<AllowedSet> allowed_or = AllowedSlots(index, o);
  if (!allowed_or.ok()) return allowed_or.status();
  static const std::vector<uint8_t> kNone;
  const std::vector<uint8_t>& allowed = allowed_or->bits() != nullptr ? *allowed_or->bits() : kNone;
  const bool filtered = allowed_or->bits() != nullptr;
  int64_t allowed_count = num_docs;
  if (filtered) allowed_count = std::count(allowed.begin(), allowed.end(), 1);
  p.allowed = filtered ? allowed_count : -1;
  p.filter_ms = MsSince(t);
  if (allowed_count == 0 || num_docs == 0) {
    p.total_ms = MsSince(start);
    return std::vector<SearchHit>();
  }

  // 1. Centroid scores, [centroid][query token] so that a document token's
  //    scores are one contiguous row; each centroid's best score decides
  //    whether stage 3 keeps it. Kept rows are also copied into a compact
  //    table: stage 3 then reads a few hundred KB instead of all K rows.
  t = Clock::now();
  std::vector<float> scores(k_centroids * nq);
  scorer_.Scores(query.data, nq, scores.data());
  std::vector<float> row_max(k_centroids);
  std::vector<int32_t> kept_row(k_centroids, -1);
  std::vector<uint64_t> kept_bits((k_centroids + 63) / 64, 0);  // fits L1: the common "not kept" test
  std::vector<float> kept_scores;
  for (int64_t c = 0; c < k_centroids; ++c) {
    const float* row = scores.data() + c * nq;
    float best;
    if (nq >= 4) {  // SSE2: four lanes of maxima, then across them
      __m128 m = _mm_loadu_ps(row);
      int64_t i = 4;
      for (; i + 4 <= nq; i += 4) m = _mm_max_ps(m, _mm_loadu_ps(row + i));
      m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
      m = _mm_max_ps(m, _mm_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
      best = _mm_cvtss_f32(m);
      for (; i < nq; ++i) best = std::max(best, row[i]);
    } else {
      best = row[0];
      for (int64_t i = 1; i < nq; ++i) best = std::max(best, row[i]);
    }
    row_max[c] = best;
    if (best >= o.centroid_score_threshold) {
      kept_row[c] = static_cast<int32_t>(kept_scores.size() / nq);
      kept_bits[c >> 6] |= uint64_t{1} << (c & 63);
      kept_scores.insert(kept_scores.end(), row, row + nq);
    }
  }
  p.kept_centroids = static_cast<int64_t>(kept_scores.size() / nq);
  p.centroid_scores_ms = MsSince(t);

  // 2. Candidates.
  t = Clock::now();
  std::vector<uint32_t> candidates;
  if (filtered && allowed_count <= o.filter_scan_limit) {
    candidates.reserve(allowed_count);
    for (int64_t s = 0; s < num_docs; ++s) {
      if (allowed[s]) candidates.push_back(static_cast<uint32_t>(s));
    }
  } else {
    thread_local std::vector<uint8_t> seen;
    if (static_cast<int64_t>(seen.size()) < num_docs) seen.assign(num_docs, 0);
    std::vector<uint8_t> probed(k_centroids, 0);
    int64_t cells = o.ncells;
    while (true) {
      for (uint32_t c : TopCells(scores.data(), row_max.data(), k_centroids, nq, cells)) {
        if (probed[c]) continue;
        probed[c] = 1;
        ++p.cells_probed;
        for (uint32_t slot : index.Postings(c)) {
          if (seen[slot] || (filtered && !allowed[slot])) continue;
          seen[slot] = 1;
          candidates.push_back(slot);
        }
      }
      if (!filtered || static_cast<int64_t>(candidates.size()) >= o.ndocs || cells >= k_centroids) break;
      cells = std::min(cells * 2, k_centroids);
    }
    for (uint32_t slot : candidates) seen[slot] = 0;
  }
  p.candidates = static_cast<int64_t>(candidates.size());
  p.candidates_ms = MsSince(t);

  // When exact MaxSim of every candidate costs no more than the budget, the
  // centroid approximation (stages 3-4) has nothing to save: score them all
  // exactly. Small collections and flat, unclustered vectors (where many
  // centroids pass the threshold and the approximation ranks poorly) end up
  // here; at scale the token count passes the budget within the first
  // candidates.
  {
    const int64_t token_budget = o.exact_budget / std::max<int64_t>(1, nq * query.dim);
    int64_t candidate_tokens = 0;
    for (uint32_t slot : candidates) {
      candidate_tokens += static_cast<int64_t>(index.token_end(slot) - index.token_begin(slot));
      if (candidate_tokens > token_budget) break;
    }
    if (candidate_tokens <= token_budget) {
      t = Clock::now();
      absl::StatusOr<std::vector<SearchHit>> hits = ExactTopK(index, query, candidates, o.k);
      p.after_pruning = p.candidates;
      p.exact_scored = p.candidates;
      p.exact_ms = MsSince(t);
      p.total_ms = MsSince(start);
      return hits;
    }
  }

  // 3-4. Centroid interaction: Σ_i max over the candidate's tokens of the
  //      token centroid's score, over kept centroids (stage 3) or all (4).
  auto centroid_interaction = [&](const std::vector<uint32_t>& slots, bool prune) {
    std::vector<Scored> out(slots.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, slots.size(), 256), [&](const tbb::blocked_range<size_t>& r) {
      std::vector<float> best(nq);
      const uint32_t* ids = index.centroid_ids();
      for (size_t s = r.begin(); s < r.end(); ++s) {
        // Candidates are scattered over the token arrays (hundreds of MB
        // at scale), so each one is a few DRAM misses; asking for the
        // tokens of a candidate a few places ahead overlaps them.
        constexpr size_t kAhead = 6;
        if (s + kAhead < r.end()) {
          const uint64_t ahead = index.token_begin(slots[s + kAhead]);
          const uint64_t ahead_end = index.token_end(slots[s + kAhead]);
          for (uint64_t tok = ahead; tok < ahead_end; tok += 16) __builtin_prefetch(ids + tok);
        }
        std::fill(best.begin(), best.end(), kNegInf);
        bool any = false;
        for (uint64_t tok = index.token_begin(slots[s]), end = index.token_end(slots[s]); tok < end; ++tok) {
          const uint32_t c = ids[tok];
          if (prune) {
            if (!((kept_bits[c >> 6] >> (c & 63)) & 1)) continue;
            MaxInto(best.data(), kept_scores.data() + static_cast<int64_t>(kept_row[c]) * nq, nq);
          } else {
            MaxInto(best.data(), scores.data() + static_cast<int64_t>(c) * nq, nq);
          }
          any = true;
        }
        float total = kNegInf;
        if (any) {
          total = 0;
          for (int64_t i = 0; i < nq; ++i) total += best[i];
        }
        out[s] = {total, slots[s]};
      }
    });
    return out;
  };
  // Stage 3 from the kept centroids' postings instead: the pruned score of a
  // candidate only involves its tokens in kept centroids, and the inverted
  // file lists exactly those (centroid, document) pairs. When few centroids
  // pass the threshold (typically tens of tens of thousands) this touches a
  // fraction of the memory of walking every candidate's tokens; the result
  // is identical (max and the per-document sum run in the same order).
  auto pruned_from_postings = [&]() {
    thread_local std::vector<int32_t> position;
    if (static_cast<int64_t>(position.size()) < num_docs) position.assign(num_docs, -1);
    for (size_t j = 0; j < candidates.size(); ++j) position[candidates[j]] = static_cast<int32_t>(j);
    std::vector<float> best(candidates.size() * nq, kNegInf);
    std::vector<uint8_t> any(candidates.size(), 0);
    for (int64_t c = 0; c < k_centroids; ++c) {
      if (kept_row[c] < 0) continue;
      const float* row = kept_scores.data() + static_cast<int64_t>(kept_row[c]) * nq;
      for (uint32_t slot : index.Postings(static_cast<uint32_t>(c))) {
        const int32_t j = position[slot];
        if (j < 0) continue;
        MaxInto(best.data() + static_cast<int64_t>(j) * nq, row, nq);
        any[j] = 1;
      }
    }
    std::vector<Scored> out(candidates.size());
    for (size_t j = 0; j < candidates.size(); ++j) {
      position[candidates[j]] = -1;
      float total = kNegInf;
      if (any[j]) {
        total = 0;
        for (int64_t i = 0; i < nq; ++i) total += best[j * nq + i];
      }
      out[j] = {total, candidates[j]};
    }
    return out;
  };
  t = Clock::now();
  int64_t postings_work = 0;
  for (int64_t c = 0; c < k_centroids; ++c) {
    if (kept_row[c] >= 0) postings_work += static_cast<int64_t>(index.Postings(static_cast<uint32_t>(c)).size());
  }
  const int64_t token_work = static_cast<int64_t>(candidates.size()) * std::max<int64_t>(
      1, index.num_tokens() / std::max<int64_t>(1, num_docs));
  std::vector<Scored> pruned;
  if (postings_work < token_work) {
    pruned = pruned_from_postings();
  } else {
    // Ascending slots walk the token arrays forward, which the hardware
    // prefetcher and DRAM pages reward.
    std::sort(candidates.begin(), candidates.end());
    pruned = centroid_interaction(candidates, /*prune=*/true);
  }
  // Candidates with no kept token cannot be told apart by stage 3; they
  // stay eligible (at -inf) only when too few others survive.
  KeepTop(pruned, static_cast<size_t>(o.ndocs));
  p.after_pruning = static_cast<int64_t>(pruned.size());
  p.pruned_interaction_ms = MsSince(t);

  t = Clock::now();
  std::vector<uint32_t> survivors;
  survivors.reserve(pruned.size());
  for (const Scored& s : pruned) survivors.push_back(s.second);
  std::vector<Scored> full = centroid_interaction(survivors, /*prune=*/false);
  KeepTop(full, static_cast<size_t>(std::max(o.ndocs / 4, o.k)));
  p.full_interaction_ms = MsSince(t);

  // 5. Exact MaxSim on decompressed vectors.
  t = Clock::now();
  survivors.clear();
  for (const Scored& s : full) survivors.push_back(s.second);
  absl::StatusOr<std::vector<SearchHit>> hits = ExactTopK(index, query, survivors, o.k);
  p.exact_scored = static_cast<int64_t>(survivors.size());
  p.exact_ms = MsSince(t);
  p.total_ms = MsSince(start);
  return hits;
}

std::vector<absl::StatusOr<std::vector<SearchHit>>> PlaidSearcher::SearchBatch(
    absl::Span<const TokenMatrix> queries, const SearchOptions& options, std::vector<SearchProfile>* profiles) const {
  std::vector<absl::StatusOr<std::vector<SearchHit>>> results(queries.size());
  if (profiles) profiles->assign(queries.size(), SearchProfile());
  tbb::parallel_for(size_t{0}, queries.size(), [&](size_t q) {
    results[q] = Search(queries[q], options, profiles ? &(*profiles)[q] : nullptr);
  });
  return results;
}

absl::StatusOr<std::vector<SearchHit>> PlaidSearcher::Exhaustive(const TokenMatrix& query,
                                                                 const SearchOptions& options) const {
  const SearchableIndex& index = *index_;
  if (absl::Status s = CheckQuery(index, query); !s.ok()) return s;
  if (options.k <= 0) return absl::InvalidArgumentError(absl::StrCat("k must be positive, not ", options.k));
  absl::StatusOr<AllowedSet> allowed = AllowedSlots(index, options);
  if (!allowed.ok()) return allowed.status();
  std::vector<uint32_t> slots;
  for (int64_t s = 0; s < index.num_documents(); ++s) {
    if (allowed->bits() == nullptr || (*allowed->bits())[s]) slots.push_back(static_cast<uint32_t>(s));
  }
  return ExactTopK(index, query, slots, options.k);
}

}  // namespace lateral

#include "query/lexical/fusion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace lateral {
namespace {

// Sorts accumulated (doc -> score) by descending score, then ascending doc id,
// and keeps the first `limit`. Ranks on the returned float scores, so equal
// returned scores are always in doc id order.
std::vector<RankedHit> TopByScore(const absl::flat_hash_map<uint32_t, double>& fused, size_t limit) {
  std::vector<std::pair<float, uint32_t>> all;
  all.reserve(fused.size());
  for (const auto& [doc, score] : fused) all.emplace_back(static_cast<float>(score), doc);
  auto better = [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  };
  const size_t k = std::min(limit, all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(), better);
  std::vector<RankedHit> out;
  out.reserve(k);
  for (size_t i = 0; i < k; ++i) out.push_back(RankedHit{all[i].second, all[i].first});
  return out;
}

}  // namespace

std::vector<RankedHit> FuseReciprocalRank(const std::vector<std::vector<RankedHit>>& lists,
                                          double rank_constant, size_t limit) {
  if (!std::isfinite(rank_constant) || rank_constant < 0) rank_constant = 60;
  absl::flat_hash_map<uint32_t, double> fused;
  for (const std::vector<RankedHit>& list : lists) {
    absl::flat_hash_set<uint32_t> seen;
    size_t rank = 0;
    for (const RankedHit& hit : list) {
      if (!seen.insert(hit.doc_id).second) continue;
      ++rank;
      fused[hit.doc_id] += 1.0 / (rank_constant + static_cast<double>(rank));
    }
  }
  return TopByScore(fused, limit);
}

std::vector<RankedHit> FuseWeighted(const std::vector<std::vector<RankedHit>>& lists,
                                    const std::vector<double>& weights, size_t limit) {
  absl::flat_hash_map<uint32_t, double> fused;
  for (size_t i = 0; i < lists.size(); ++i) {
    const std::vector<RankedHit>& list = lists[i];
    const double weight = i < weights.size() ? weights[i] : 1.0;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (const RankedHit& hit : list) {
      if (!std::isfinite(hit.score)) continue;
      lo = std::min(lo, static_cast<double>(hit.score));
      hi = std::max(hi, static_cast<double>(hit.score));
    }
    absl::flat_hash_set<uint32_t> seen;
    for (const RankedHit& hit : list) {
      if (!seen.insert(hit.doc_id).second) continue;
      double normalised;
      if (!(hi > lo)) {
        normalised = 1.0;  // one distinct score (or none finite): every listed doc ranks equal
      } else if (!std::isfinite(hit.score)) {
        normalised = 0.0;
      } else {
        normalised = (static_cast<double>(hit.score) - lo) / (hi - lo);
      }
      fused[hit.doc_id] += weight * normalised;
    }
  }
  return TopByScore(fused, limit);
}

}  // namespace lateral

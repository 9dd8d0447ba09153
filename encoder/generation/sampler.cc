#include "encoder/generation/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_set.h"

namespace lateral {

int32_t ArgMax(absl::Span<const float> values) {
  return static_cast<int32_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

Sampler::Sampler(const SamplingSettings& settings) : settings_(settings), rng_(settings.seed) {}

int32_t Sampler::Next(absl::Span<float> logits, absl::Span<const int32_t> history) {
  const int64_t vocab = static_cast<int64_t>(logits.size());
  if (settings_.repetition_penalty != 1.0f) {
    absl::flat_hash_set<int32_t> seen(history.begin(), history.end());
    for (int32_t id : seen) {
      if (id < 0 || id >= vocab) continue;
      float& l = logits[id];
      l = l > 0 ? l / settings_.repetition_penalty : l * settings_.repetition_penalty;
    }
  }
  if (settings_.greedy || settings_.temperature == 0.0f) return ArgMax(logits);

  // Candidates sorted by logit, best first; the filters below cut the tail.
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  int64_t keep = vocab;
  if (settings_.top_k > 0 && settings_.top_k < vocab) {
    keep = settings_.top_k;
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  } else {
    std::sort(order.begin(), order.end(),
              [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  }
  order.resize(keep);
  const float inv_t = 1.0f / settings_.temperature;
  std::vector<double> probs(keep);
  const double top = logits[order[0]] * inv_t;
  double total = 0;
  for (int64_t i = 0; i < keep; ++i) {
    probs[i] = std::exp(logits[order[i]] * inv_t - top);
    total += probs[i];
  }
  for (double& p : probs) p /= total;
  if (settings_.top_p < 1.0f) {
    // Smallest prefix whose mass reaches top_p (at least one token).
    double mass = 0;
    int64_t n = 0;
    while (n < keep && mass < settings_.top_p) mass += probs[n++];
    keep = std::max<int64_t>(n, 1);
  }
  if (settings_.min_p > 0.0f) {
    const double floor = settings_.min_p * probs[0];
    int64_t n = 1;
    while (n < keep && probs[n] >= floor) ++n;
    keep = n;
  }
  std::discrete_distribution<int64_t> draw(probs.begin(), probs.begin() + keep);
  return order[draw(rng_)];
}

}  // namespace lateral

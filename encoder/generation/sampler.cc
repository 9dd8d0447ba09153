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

namespace {

bool Better(absl::Span<const float> logits, int32_t a, int32_t b) {
  return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
}

// Temperature, top-k, top-p and min-p, then one draw. `prefilter` skips the
// sort of the whole vocabulary when min_p is set: min-p keeps only tokens
// whose probability is at least min_p times the best one's, i.e. logits at
// least max + T·ln(min_p), and top-p keeps a prefix of the same order, so
// every kept token passes that bound (taken a little loose here, then checked
// exactly). With LFM2's defaults that leaves a few dozen of 65,536 tokens to
// sort, instead of a full sort per generated token. Both ways give the same
// token for the same random state (tests/generation/sampler_test.cc).
int32_t Draw(absl::Span<const float> logits, const SamplingSettings& settings, std::mt19937_64& rng,
             bool prefilter) {
  const int64_t vocab = static_cast<int64_t>(logits.size());
  // The pool: the top-k tokens, or all of them.
  std::vector<int32_t> pool(vocab);
  std::iota(pool.begin(), pool.end(), 0);
  if (settings.top_k > 0 && settings.top_k < vocab) {
    std::nth_element(pool.begin(), pool.begin() + settings.top_k - 1, pool.end(),
                     [&](int32_t a, int32_t b) { return Better(logits, a, b); });
    pool.resize(settings.top_k);
  }
  const int32_t best = *std::min_element(pool.begin(), pool.end(), [&](int32_t a, int32_t b) { return Better(logits, a, b); });
  const double inv_t = 1.0 / settings.temperature;
  const double top = logits[best] * inv_t;
  // Mass of the pool, summed in token order whichever way is taken.
  double total = 0;
  if (settings.top_p < 1.0f) {
    std::vector<int32_t> in_order = pool;
    std::sort(in_order.begin(), in_order.end());
    for (int32_t id : in_order) total += std::exp(logits[id] * inv_t - top);
  }
  std::vector<int32_t> order;
  if (prefilter && settings.min_p > 0.0f) {
    const double bound = logits[best] + settings.temperature * std::log(static_cast<double>(settings.min_p)) -
                         1e-3 * (1.0 + std::fabs(logits[best]));
    for (int32_t id : pool) {
      if (logits[id] >= bound) order.push_back(id);
    }
  } else {
    order = std::move(pool);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return Better(logits, a, b); });
  std::vector<double> weights(order.size());
  for (size_t i = 0; i < order.size(); ++i) weights[i] = std::exp(logits[order[i]] * inv_t - top);
  int64_t keep = static_cast<int64_t>(order.size());
  if (settings.top_p < 1.0f) {
    // Smallest prefix whose share of the pool's mass reaches top_p (at least one token).
    double mass = 0;
    int64_t n = 0;
    while (n < keep && mass < settings.top_p) mass += weights[n++] / total;
    keep = std::max<int64_t>(n, 1);
  }
  if (settings.min_p > 0.0f) {
    const double floor = settings.min_p * weights[0];
    int64_t n = 1;
    while (n < keep && weights[n] >= floor) ++n;
    keep = n;
  }
  std::discrete_distribution<int64_t> draw(weights.begin(), weights.begin() + keep);
  return order[draw(rng)];
}

}  // namespace

int32_t Sampler::Next(absl::Span<float> logits, absl::Span<const int32_t> history) {
  ApplyRepetitionPenalty(logits, history);
  if (settings_.greedy || settings_.temperature == 0.0f) return ArgMax(logits);
  return Draw(logits, settings_, rng_, /*prefilter=*/true);
}

int32_t Sampler::NextBySortingAll(absl::Span<float> logits, absl::Span<const int32_t> history) {
  ApplyRepetitionPenalty(logits, history);
  if (settings_.greedy || settings_.temperature == 0.0f) return ArgMax(logits);
  return Draw(logits, settings_, rng_, /*prefilter=*/false);
}

std::optional<LogitsScreen> Sampler::ScreenFor(absl::Span<const int32_t> history) const {
  LogitsScreen screen;
  screen.history = history;
  screen.repetition_penalty = settings_.repetition_penalty;
  if (settings_.greedy || settings_.temperature == 0.0f) {
    screen.margin = 0.0f;
    return screen;
  }
  if (settings_.top_p < 1.0f || settings_.min_p <= 0.0f) return std::nullopt;
  // Draw keeps only logits >= best + T·ln(min_p); a little wider for its
  // float arithmetic (ScreenedHead adds absolute slack too).
  screen.margin = static_cast<float>(settings_.temperature * -std::log(static_cast<double>(settings_.min_p)) * (1.0 + 1e-4));
  return screen;
}

void Sampler::ApplyRepetitionPenalty(absl::Span<float> logits, absl::Span<const int32_t> history) const {
  if (settings_.repetition_penalty == 1.0f) return;
  const int64_t vocab = static_cast<int64_t>(logits.size());
  absl::flat_hash_set<int32_t> seen(history.begin(), history.end());
  for (int32_t id : seen) {
    if (id < 0 || id >= vocab) continue;
    float& l = logits[id];
    l = l > 0 ? l / settings_.repetition_penalty : l * settings_.repetition_penalty;
  }
}

}  // namespace lateral

#include "encoder/model/screened_head.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "encoder/kernels/bf16_gemm.h"
#include "encoder/kernels/kernel_tier.h"

namespace lateral {

std::unique_ptr<ScreenedHead> ScreenedHead::Build(const WeightTensor& head) {
  std::unique_ptr<ScreenedHead> screened(new ScreenedHead(head));
  const int64_t vocab = head.rows(), hidden = head.cols();
  screened->q_ = kernels::QuantizeInt8Bf16(head.bf16_data(), vocab, hidden, hidden);
  screened->rounding_norm_.resize(vocab);
  screened->quantised_norm_.resize(vocab);
  screened->weight_norm_.resize(vocab);
  std::vector<float> row(hidden);
  for (int64_t j = 0; j < vocab; ++j) {
    head.RowToFloat(j, row.data());
    const int8_t* q = screened->q_.values.data() + j * screened->q_.stride;
    const double s = screened->q_.scales[j];
    double rounding = 0, quantised = 0, weight = 0;
    for (int64_t t = 0; t < hidden; ++t) {
      const double w = row[t], w_hat = s * q[t];
      rounding += (w - w_hat) * (w - w_hat);
      quantised += w_hat * w_hat;
      weight += w * w;
    }
    // Rounded up: these bound errors, so they must not come out small.
    screened->rounding_norm_[j] = static_cast<float>(std::sqrt(rounding) * (1 + 1e-6));
    screened->quantised_norm_[j] = static_cast<float>(std::sqrt(quantised) * (1 + 1e-6));
    screened->weight_norm_[j] = static_cast<float>(std::sqrt(weight) * (1 + 1e-6));
  }
  return screened;
}

void ScreenedHead::ExactRows(const float* x, absl::Span<const int32_t> ids, float* out) const {
  if (ids.empty()) return;
  const int64_t hidden = head_.cols();
  std::vector<uint16_t> rows(ids.size() * hidden);
  for (size_t i = 0; i < ids.size(); ++i) {
    std::memcpy(rows.data() + i * hidden, head_.bf16_data() + int64_t{ids[i]} * hidden, hidden * 2);
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  kernels::Bf16Gemm(x, 1, hidden, hidden, rows.data(), n, hidden, out, n, /*accumulate=*/false);
}

ScreenedHead::BoundFactors ScreenedHead::FactorsFor(const float* x) const {
  const int64_t hidden = head_.cols();
  std::vector<int8_t> q(hidden);
  const float s_x = kernels::QuantizeActivationRow(x, hidden, q.data());
  double x_norm = 0, dx_norm = 0;
  for (int64_t t = 0; t < hidden; ++t) {
    const double dx = x[t] - static_cast<double>(s_x) * q[t];
    x_norm += static_cast<double>(x[t]) * x[t];
    dx_norm += dx * dx;
  }
  BoundFactors f;
  f.finite = std::isfinite(x_norm) && std::isfinite(s_x);
  const double gamma = hidden * 0x1p-24 / (1.0 - hidden * 0x1p-24);
  f.x_norm = static_cast<float>(std::sqrt(x_norm) * (1 + 1e-5));
  f.dx_norm = static_cast<float>(std::sqrt(dx_norm) * (1 + 1e-5));
  f.gamma_x_norm = static_cast<float>(gamma * std::sqrt(x_norm) * (1 + 1e-5));
  return f;
}

void ScreenedHead::ApproximateLogits(const float* x, float* approx) const {
  const int64_t hidden = head_.cols();
  kernels::Int8Gemm(kernels::ActiveTier(), kernels::Int8Activations::kOnePart, x, 1, hidden, hidden, q_, approx,
                    q_.rows, /*accumulate=*/false);
}

void ScreenedHead::ErrorBounds(const float* x, const float* approx, float* bounds) const {
  const BoundFactors f = FactorsFor(x);
  for (int64_t j = 0; j < q_.rows; ++j) {
    bounds[j] = Bound(f, j, approx[j]);
  }
}

int64_t ScreenedHead::Logits(const float* x, const LogitsScreen& screen, float* logits) const {
  const int64_t vocab = head_.rows(), hidden = head_.cols();
  constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
  const BoundFactors f = FactorsFor(x);
  if (!f.finite) {
    kernels::Bf16Gemm(x, 1, hidden, hidden, head_.bf16_data(), vocab, hidden, logits, vocab, false);
    return vocab;
  }
  // Every logit from the int8 copy, one activation part (the bound covers it).
  std::vector<float> approx(vocab);
  ApproximateLogits(x, approx.data());
  auto bound = [&](int64_t j) { return Bound(f, j, approx[j]); };

  // History tokens: exact, and judged by their penalised value.
  std::vector<int32_t> history;
  if (screen.repetition_penalty != 1.0f) {
    for (int32_t id : screen.history) {
      if (id >= 0 && id < vocab) history.push_back(id);
    }
    std::sort(history.begin(), history.end());
    history.erase(std::unique(history.begin(), history.end()), history.end());
  }
  std::vector<float> history_exact(history.size());
  ExactRows(x, history, history_exact.data());
  std::vector<uint8_t> in_history(history.empty() ? 0 : vocab, 0);
  for (int32_t id : history) in_history[id] = 1;

  // A lower bound on the best penalised logit.
  float best = kMinusInf;
  for (size_t i = 0; i < history.size(); ++i) {
    const float l = history_exact[i];
    best = std::max(best, l > 0 ? l / screen.repetition_penalty : l * screen.repetition_penalty);
  }
  for (int64_t j = 0; j < vocab; ++j) {
    if (in_history.empty() || !in_history[j]) best = std::max(best, approx[j] - bound(j));
  }
  // Slack for the sampler's own float arithmetic near the margin's edge.
  const float threshold = best - screen.margin - 1e-4f * (1.0f + std::fabs(best));
  std::vector<int32_t> candidates;
  for (int64_t j = 0; j < vocab; ++j) {
    if (!in_history.empty() && in_history[j]) continue;
    const float upper = approx[j] + bound(j);
    if (upper >= threshold || std::isnan(upper)) candidates.push_back(static_cast<int32_t>(j));
  }
  std::vector<float> exact(candidates.size());
  ExactRows(x, candidates, exact.data());
  std::fill(logits, logits + vocab, kMinusInf);
  for (size_t i = 0; i < candidates.size(); ++i) logits[candidates[i]] = exact[i];
  for (size_t i = 0; i < history.size(); ++i) logits[history[i]] = history_exact[i];
  return static_cast<int64_t>(candidates.size() + history.size());
}

}  // namespace lateral

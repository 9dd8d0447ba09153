// ScreenedHead against the full bf16 head it stands in for: every token a
// sampler with the given margin can pick comes back exact (equal to the full
// head up to float summation order), history tokens always do, nothing comes
// back wrong (a value is the exact logit or -inf), and the screen does prune.
#include "encoder/model/screened_head.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "encoder/kernels/int8_gemm.h"
#include "encoder/model/tensor_ops.h"
#include "gtest/gtest.h"

namespace lateral {
namespace {

constexpr int64_t kVocab = 5000, kHidden = 320;

// A head like a trained one's: Gaussian rows, some with larger norms, so a
// few tokens stand out above the rest for typical hidden rows.
WeightTensor RandomHead() {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> w(kVocab * kHidden);
  for (int64_t j = 0; j < kVocab; ++j) {
    const float gain = j % 97 == 0 ? 4.0f : 1.0f;
    for (int64_t t = 0; t < kHidden; ++t) w[j * kHidden + t] = gain * dist(rng);
  }
  return WeightTensor::FromValuesAs({kVocab, kHidden}, w.data(), Precision::kBf16);
}

float Penalised(float l, float penalty) { return l > 0 ? l / penalty : l * penalty; }

TEST(ScreenedHeadTest, EveryTokenWithinTheMarginIsExactAndTheRestIsMinusInfinity) {
  const WeightTensor head = RandomHead();
  ASSERT_EQ(head.storage(), WeightStorage::kBf16);
  const auto screened = ScreenedHead::Build(head);
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::uniform_int_distribution<int32_t> any_token(0, kVocab - 1);
  int64_t pruned_cases = 0, cases = 0;
  for (int row = 0; row < 6; ++row) {
    std::vector<float> x(kHidden);
    for (float& v : x) v = dist(rng) * (row % 2 ? 3.0f : 1.0f);
    if (row == 5) x[7] = 40.0f;  // one heavy activation
    std::vector<float> full(kVocab);
    MatMulTransposed(x.data(), 1, kHidden, head, full.data());
    for (float margin : {0.0f, 0.3f, 2.0f}) {
      for (float penalty : {1.0f, 1.3f}) {
        SCOPED_TRACE(::testing::Message() << "row " << row << " margin " << margin << " penalty " << penalty);
        std::vector<int32_t> history;
        for (int i = 0; i < 40; ++i) history.push_back(any_token(rng));
        history.push_back(-1);       // ignored
        history.push_back(kVocab);   // ignored
        history.push_back(history[0]);  // duplicate
        // Include the full head's best token, so the penalty can move the maximum.
        history.push_back(static_cast<int32_t>(std::max_element(full.begin(), full.end()) - full.begin()));
        LogitsScreen screen{margin, history, penalty};
        std::vector<float> got(kVocab);
        const int64_t exact = screened->Logits(x.data(), screen, got.data());
        std::vector<float> penalised = full;
        if (penalty != 1.0f) {
          for (int32_t id : history) {
            if (id >= 0 && id < kVocab) penalised[id] = Penalised(full[id], penalty);
          }
        }
        // Recompute with duplicates applied once, as the sampler does.
        if (penalty != 1.0f) {
          penalised = full;
          std::vector<bool> seen(kVocab, false);
          for (int32_t id : history) {
            if (id >= 0 && id < kVocab && !seen[id]) penalised[id] = Penalised(full[id], penalty), seen[id] = true;
          }
        }
        const float best = *std::max_element(penalised.begin(), penalised.end());
        int64_t finite = 0;
        for (int64_t j = 0; j < kVocab; ++j) {
          const float tolerance = 2e-6f * (std::fabs(full[j]) + 1.0f);
          if (std::isfinite(got[j])) {
            ++finite;
            ASSERT_NEAR(got[j], full[j], tolerance) << "j=" << j;  // never a wrong value
          } else {
            ASSERT_EQ(got[j], -std::numeric_limits<float>::infinity()) << "j=" << j;
            ASSERT_LT(penalised[j], best - margin) << "j=" << j << " was dropped but can be picked";
          }
        }
        if (penalty != 1.0f) {
          for (int32_t id : history) {
            if (id >= 0 && id < kVocab) ASSERT_TRUE(std::isfinite(got[id])) << "history token " << id;
          }
        }
        EXPECT_EQ(finite, exact);
        ++cases;
        if (finite < kVocab / 4) ++pruned_cases;
      }
    }
  }
  // The point of the screen: most cases compute far fewer than all logits.
  EXPECT_GE(pruned_cases, cases * 2 / 3) << pruned_cases << " of " << cases;
}

// The bound must hold where it is tightest: a hidden row whose signs follow
// one token's weight-rounding errors adds them all up. It holds for every
// token, and for that token the error reaches a fair share of it (a bound
// many times too large would screen little; one too small would fail here).
TEST(ScreenedHeadTest, TheErrorBoundHoldsForAnAdversarialRowAndIsNotVacuous) {
  const WeightTensor head = RandomHead();
  const auto screened = ScreenedHead::Build(head);
  const kernels::Int8Matrix q = kernels::QuantizeInt8Bf16(head.bf16_data(), kVocab, kHidden, kHidden);
  for (int64_t target : {int64_t{0}, int64_t{97}, int64_t{1234}}) {
    std::vector<float> row(kHidden), x(kHidden);
    head.RowToFloat(target, row.data());
    for (int64_t t = 0; t < kHidden; ++t) {
      const float rounding = row[t] - q.scales[target] * q.values[target * q.stride + t];
      x[t] = rounding >= 0 ? 1.0f : -1.0f;
    }
    std::vector<float> approx(kVocab), bounds(kVocab), full(kVocab);
    screened->ApproximateLogits(x.data(), approx.data());
    screened->ErrorBounds(x.data(), approx.data(), bounds.data());
    MatMulTransposed(x.data(), 1, kHidden, head, full.data());
    for (int64_t j = 0; j < kVocab; ++j) {
      ASSERT_LE(std::fabs(approx[j] - full[j]), bounds[j]) << "token " << j << " target " << target;
    }
    EXPECT_GE(std::fabs(approx[target] - full[target]), bounds[target] / 4) << "target " << target;
  }
}

TEST(ScreenedHeadTest, ANonFiniteRowGetsTheFullHead) {
  const WeightTensor head = RandomHead();
  const auto screened = ScreenedHead::Build(head);
  std::vector<float> x(kHidden, 0.5f);
  x[3] = std::numeric_limits<float>::infinity();
  std::vector<float> got(kVocab), full(kVocab);
  EXPECT_EQ(screened->Logits(x.data(), LogitsScreen{}, got.data()), kVocab);
  MatMulTransposed(x.data(), 1, kHidden, head, full.data());
  for (int64_t j = 0; j < kVocab; ++j) {
    if (std::isnan(full[j])) {
      EXPECT_TRUE(std::isnan(got[j]));
    } else {
      EXPECT_EQ(got[j], full[j]);
    }
  }
}

}  // namespace
}  // namespace lateral

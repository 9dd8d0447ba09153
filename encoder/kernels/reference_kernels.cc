#include "encoder/kernels/reference_kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/numeric_formats.h"
#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels {

void ReferenceF32Gemm(const float* x, int64_t m, int64_t k, const float* w, int64_t n, float* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t t = 0; t < k; ++t) s += static_cast<double>(x[i * k + t]) * w[j * k + t];
      y[i * n + j] = static_cast<float>(s);
    }
  }
}

void ReferenceBf16Gemm(const float* x, int64_t m, int64_t k, const uint16_t* w, int64_t n, float* y,
                       Bf16Activations mode) {
  const bool split = mode == Bf16Activations::kSplit;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t t = 0; t < k; ++t) {
        const float v = x[i * k + t];
        const float hi = mode == Bf16Activations::kF32 ? v : Bf16ToFloat(FloatToBf16(v));
        const double lo = split ? Bf16ToFloat(FloatToBf16(v - hi)) : 0.0;
        s += (static_cast<double>(hi) + lo) * Bf16ToFloat(w[j * k + t]);
      }
      y[i * n + j] = static_cast<float>(s);
    }
  }
}

void ReferenceInt8Gemm(const float* x, int64_t m, int64_t k, const Int8Matrix& w, float* y, Int8Activations mode) {
  if (mode == Int8Activations::kAuto) mode = m <= internal::kGemvRows ? Int8Activations::kOnePart : Int8Activations::kTwoParts;
  std::vector<int8_t> q(k), qr(k);
  std::vector<float> rest(k);
  for (int64_t i = 0; i < m; ++i) {
    const float sx = QuantizeActivationRow(x + i * k, k, q.data());
    for (int64_t t = 0; t < k; ++t) rest[t] = x[i * k + t] - sx * static_cast<float>(q[t]);
    const float sr = QuantizeActivationRow(rest.data(), k, qr.data());
    for (int64_t j = 0; j < w.rows; ++j) {
      int64_t dot = 0, dot_rest = 0;
      for (int64_t t = 0; t < k; ++t) {
        dot += int64_t{q[t]} * w.values[j * w.stride + t];
        dot_rest += int64_t{qr[t]} * w.values[j * w.stride + t];
      }
      const float first = static_cast<float>(dot) * sx * w.scales[j];
      y[i * w.rows + j] =
          mode == Int8Activations::kOnePart ? first : first + static_cast<float>(dot_rest) * sr * w.scales[j];
    }
  }
}

void ReferenceQ4Gemm(const float* x, int64_t m, int64_t k, const Q4Matrix& w, float* y, float* magnitude) {
  std::vector<int8_t> q(k);
  for (int64_t i = 0; i < m; ++i) {
    const float sx = m <= internal::kGemvRows ? QuantizeActivationRow(x + i * k, k, q.data()) : 0.0f;
    for (int64_t j = 0; j < w.rows; ++j) {
      double s = 0.0, a = 0.0;
      if (m <= internal::kGemvRows) {
        for (int64_t g = 0; g * Q4Matrix::kGroup < k; ++g) {
          int64_t dot = 0;
          for (int64_t t = g * Q4Matrix::kGroup; t < std::min(k, (g + 1) * Q4Matrix::kGroup); ++t) {
            dot += int64_t{q[t]} * w.Value(j, t);
          }
          const double term = static_cast<double>(dot) * w.Scale(j, g);
          s += term;
          a += std::abs(term);
        }
        s *= sx;
        a *= std::abs(sx);
      } else {
        for (int64_t t = 0; t < k; ++t) {
          const double term = static_cast<double>(x[i * k + t]) * w.Dequantised(j, t);
          s += term;
          a += std::abs(term);
        }
      }
      y[i * w.rows + j] = static_cast<float>(s);
      if (magnitude != nullptr) magnitude[i * w.rows + j] = static_cast<float>(a);
    }
  }
}

}  // namespace lateral::kernels

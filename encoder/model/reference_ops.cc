#include "encoder/model/reference_ops.h"

#include <cmath>

namespace lateral::reference {

void MatMulTransposed(const float* x, int64_t m, int64_t k, const float* w, int64_t n, float* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) sum += static_cast<double>(x[i * k + p]) * w[j * k + p];
      y[i * n + j] = static_cast<float>(sum);
    }
  }
}

void RmsNormRows(const float* x, int64_t rows, int64_t cols, const float* weight, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t i = 0; i < cols; ++i) sum += static_cast<double>(x[r * cols + i]) * x[r * cols + i];
    const double inv = 1.0 / std::sqrt(sum / cols + eps);
    for (int64_t i = 0; i < cols; ++i) out[r * cols + i] = static_cast<float>(weight[i] * (x[r * cols + i] * inv));
  }
}

}  // namespace lateral::reference

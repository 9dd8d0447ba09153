#include "encoder/model/tensor_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "encoder/kernels/bf16_gemm.h"
#include "encoder/kernels/elementwise.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/q4_gemm.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace lateral {

void MatMulTransposed(const float* x, int64_t m, int64_t k, int64_t ldx, const WeightTensor& w,
                      float* y, bool accumulate) {
  const int64_t n = w.rows();
  switch (w.storage()) {
    case WeightStorage::kBf16:
      kernels::Bf16Gemm(x, m, k, ldx, w.bf16_data(), n, k, y, n, accumulate);
      return;
    case WeightStorage::kInt8:
      kernels::Int8Gemm(x, m, k, ldx, *w.int8(), y, n, accumulate);
      return;
    case WeightStorage::kQ4:
      kernels::Q4Gemm(x, m, k, ldx, *w.q4(), y, n, accumulate);
      return;
    case WeightStorage::kF32:
      break;
  }
  SetUpBlasThreading();
  const float beta = accumulate ? 1.0f : 0.0f;
  // Split output features so each task streams its own slice of the weights.
  // Small problems run inline: task overhead would dominate.
  const int threads = tbb::this_task_arena::max_concurrency();
  const double flops = 2.0 * m * n * k;
  if (threads <= 1 || flops < 2.0e6 || n < 64) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, ldx, w.data(), k, beta, y, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(n / 32, threads * 4);
  int64_t step = (n + chunks - 1) / chunks;
  step = (step + 15) / 16 * 16;
  tbb::parallel_for(int64_t{0}, (n + step - 1) / step, [&](int64_t c) {
    const int64_t begin = c * step;
    const int64_t count = std::min(step, n - begin);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, count, k, 1.0f, x, ldx,
                w.data() + begin * k, k, beta, y + begin, n);
  });
}

void MatMulRowsTransposed(const float* a, int64_t m, int64_t k, int64_t lda, const float* b,
                          int64_t n, int64_t ldb, float* c) {
  SetUpBlasThreading();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
}

void MatMulRows(const float* a, int64_t m, int64_t k, int64_t lda, const float* b, int64_t n,
                int64_t ldb, float* c, int64_t ldc) {
  SetUpBlasThreading();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

void RmsNormRows(const float* x, int64_t rows, int64_t cols, const float* weight, float eps,
                 float* out) {
  const kernels::Tier tier = kernels::ActiveTier();
  auto one_row = [&](int64_t r) {
    const float* in = x + r * cols;
    float* o = out + r * cols;
    const double sum = kernels::SumOfSquares(tier, in, cols);
    const float inv = 1.0f / std::sqrt(static_cast<float>(sum / cols) + eps);
    for (int64_t i = 0; i < cols; ++i) o[i] = weight[i] * (in[i] * inv);
  };
  if (rows * cols < (1 << 15)) {
    for (int64_t r = 0; r < rows; ++r) one_row(r);
  } else {
    tbb::parallel_for(int64_t{0}, rows, one_row);
  }
}

void AddBiasRows(float* rows, int64_t count, int64_t cols, const float* bias) {
  for (int64_t r = 0; r < count; ++r) {
    float* row = rows + r * cols;
    for (int64_t i = 0; i < cols; ++i) row[i] += bias[i];
  }
}

void SiluMul(float* gate, const float* up, int64_t n) {
  const kernels::Tier tier = kernels::ActiveTier();
  auto range = [&](int64_t begin, int64_t end) { kernels::SiluMul(tier, gate + begin, up + begin, end - begin); };
  // Prefill's feed-forward gates are rows x ffn (1.2 M values for 256 tokens
  // of the 350M shape): one exp each, which on one core was a serial stretch
  // between the parallel matrix products.
  constexpr int64_t kChunk = 1 << 14;
  if (n < 2 * kChunk) {
    range(0, n);
    return;
  }
  tbb::parallel_for(int64_t{0}, (n + kChunk - 1) / kChunk,
                    [&](int64_t c) { range(c * kChunk, std::min(n, (c + 1) * kChunk)); });
}

void SoftmaxRow(float* row, int64_t n) { kernels::Softmax(kernels::ActiveTier(), row, n); }

}  // namespace lateral

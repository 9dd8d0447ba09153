// The numeric building blocks of the forward pass, on row-major float32.
//
// MatMulTransposed is the hot path: it computes y = x · wᵀ for PyTorch-layout
// weights in the tensor's storage: f32 through OpenBLAS sgemm, split over
// output features with oneTBB so that both threading and BLAS stay under one
// scheduler (OpenBLAS itself runs single-threaded, see SetUpBlasThreading);
// bf16 and int8 through encoder/kernels (runtime-dispatched SIMD tiers, also
// threaded with oneTBB). The scalar versions in
// reference_ops.h are the oracles these are tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/blas_threading.h"
#include "encoder/model/weight_tensor.h"

namespace lateral {


// y[m, n] = x[m, k] · w[n, k]ᵀ (+ y when accumulate). x rows are `ldx` apart.
// k must equal w.cols(). bf16 storage rounds x to bf16; int8 quantises x per row.
void MatMulTransposed(const float* x, int64_t m, int64_t k, int64_t ldx, const WeightTensor& w,
                      float* y, bool accumulate = false);
inline void MatMulTransposed(const float* x, int64_t m, int64_t k, const WeightTensor& w, float* y,
                             bool accumulate = false) {
  MatMulTransposed(x, m, k, k, w, y, accumulate);
}

// Plain strided products for small per-task problems (run on the calling thread):
// c[m, n] = a[m, k] · b[n, k]ᵀ, and c[m, n] = a[m, k] · b[k, n].
void MatMulRowsTransposed(const float* a, int64_t m, int64_t k, int64_t lda, const float* b,
                          int64_t n, int64_t ldb, float* c);
void MatMulRows(const float* a, int64_t m, int64_t k, int64_t lda, const float* b, int64_t n,
                int64_t ldb, float* c, int64_t ldc);

// out[r, :] = weight ⊙ x[r, :] / sqrt(mean(x[r, :]²) + eps), rows of width `cols`.
// `out` may alias `x`.
void RmsNormRows(const float* x, int64_t rows, int64_t cols, const float* weight, float eps,
                 float* out);

// A float buffer whose values start undefined, for scratch that is written
// in full before it is read. (std::vector<float> zero-fills first: 3% of a
// document encoding went to clearing buffers the next product overwrote.)
class ScratchFloats {
 public:
  explicit ScratchFloats(int64_t n) : data_(new float[static_cast<size_t>(n)]) {}
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](int64_t i) { return data_[i]; }
  const float& operator[](int64_t i) const { return data_[i]; }

 private:
  std::unique_ptr<float[]> data_;
};

// rows[r, :] += bias for every row.
void AddBiasRows(float* rows, int64_t count, int64_t cols, const float* bias);

// gate[i] = silu(gate[i]) * up[i], in parallel chunks at the active kernel
// tier (encoder/kernels/elementwise.h: vector exp within 2 ulp of std::exp).
void SiluMul(float* gate, const float* up, int64_t n);

// In-place softmax of one row at the active kernel tier; entries equal to
// -inf get probability 0.
void SoftmaxRow(float* row, int64_t n);

}  // namespace lateral

// A weight tensor used by the forward pass, in one of four storages.
//
//   kF32:  float32, borrowed straight from a memory-mapped checkpoint when it
//          is stored as aligned f32, else an owned converted copy (bf16 / f16).
//   kBf16: bfloat16 bits, borrowed from the mapping when the checkpoint is bf16
//          (no copy: weights stream from the page cache), else owned.
//   kInt8: an owned per-output-channel quantised form (kernels::Int8Matrix),
//          made at load time.
//   kQ4:   an owned 4-bit group-quantised form (kernels::Q4Matrix), made at
//          load time.
// A tensor can carry an int8 or q4 form next to its f32/bf16 form: the tied
// embedding uses the float form for row lookups and the quantised form as the
// LM head. MatMulTransposed (tensor_ops.h) dispatches on storage(); RowToFloat
// reads one row in any storage. Move-only: pointers stay valid across moves
// because std::vector keeps its buffer when moved. Owned by ModelWeights (and
// ColbertEncoder for its projection head).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/safetensors.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/precision.h"
#include "encoder/kernels/q4_gemm.h"

namespace lateral {

enum class WeightStorage { kF32, kBf16, kInt8, kQ4 };

class WeightTensor {
 public:
  WeightTensor() = default;
  WeightTensor(WeightTensor&&) = default;
  WeightTensor& operator=(WeightTensor&&) = default;
  WeightTensor(const WeightTensor&) = delete;
  WeightTensor& operator=(const WeightTensor&) = delete;

  // float32: borrows f32 views that are 4-byte aligned; converts everything else.
  static absl::StatusOr<WeightTensor> FromView(const TensorView& view);
  // A 2-D matrix in the storage `precision` asks for: kF32 as FromView; kBf16
  // borrows bf16 views (2-byte aligned) and rounds others to owned bf16; kInt8
  // quantises per row (first dimension) and keeps only the int8 form; kQ4
  // quantises in groups of 32 along each row and keeps only the q4 form.
  static absl::StatusOr<WeightTensor> FromViewAs(const TensorView& view, Precision precision);
  // Owns `values` with the given shape (used by tests and derived weights).
  static WeightTensor FromValues(std::vector<int64_t> shape, std::vector<float> values);
  // `values` in the storage of `precision` (bf16 rounds, int8 / q4 quantise rows).
  static WeightTensor FromValuesAs(std::vector<int64_t> shape, const float* values, Precision precision);

  // Adds an int8 form quantised from the current f32 / bf16 data (kept).
  void AddInt8Form();
  // Adds a q4 form quantised from the current f32 / bf16 data (kept).
  void AddQ4Form();

  WeightStorage storage() const;
  // The float32 data; nullptr unless the tensor holds an f32 form.
  const float* data() const { return f32_; }
  // The bf16 bits; nullptr unless the tensor holds a bf16 form.
  const uint16_t* bf16_data() const { return bf16_; }
  // The int8 form, or nullptr.
  const kernels::Int8Matrix* int8() const { return int8_.get(); }
  // The q4 form, or nullptr.
  const kernels::Q4Matrix* q4() const { return q4_.get(); }
  // Writes row `row` (of cols() values) as float32: copied, widened from bf16,
  // or dequantised from int8 / q4 when that is the only form.
  void RowToFloat(int64_t row, float* out) const;

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rows() const { return shape_.empty() ? 0 : shape_[0]; }
  // Product of all dimensions after the first.
  int64_t cols() const;
  int64_t size() const;
  bool empty() const { return f32_ == nullptr && bf16_ == nullptr && int8_ == nullptr && q4_ == nullptr; }
  // True when the float form points into the checkpoint mapping (no copy).
  bool borrowed() const {
    return (f32_ != nullptr && owned_f32_.empty()) || (bf16_ != nullptr && owned_bf16_.empty());
  }
  // Bytes a matrix product reads from this tensor (the form MatMulTransposed uses).
  int64_t MatMulBytes() const;

 private:
  const float* f32_ = nullptr;
  std::vector<float> owned_f32_;
  const uint16_t* bf16_ = nullptr;
  std::vector<uint16_t> owned_bf16_;
  std::unique_ptr<kernels::Int8Matrix> int8_;
  std::unique_ptr<kernels::Q4Matrix> q4_;
  std::vector<int64_t> shape_;
};

}  // namespace lateral

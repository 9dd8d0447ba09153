// A float32 weight tensor used by the forward pass.
//
// Either borrows float32 bytes straight from a memory-mapped checkpoint (no
// copy) or owns a converted copy (bf16 / f16 checkpoints, misaligned data).
// Move-only: `data()` stays valid across moves because std::vector keeps its
// buffer when moved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/safetensors.h"

namespace lateral {

class WeightTensor {
 public:
  WeightTensor() = default;
  WeightTensor(WeightTensor&&) = default;
  WeightTensor& operator=(WeightTensor&&) = default;
  WeightTensor(const WeightTensor&) = delete;
  WeightTensor& operator=(const WeightTensor&) = delete;

  // Borrows float32 views that are 4-byte aligned; converts everything else.
  static absl::StatusOr<WeightTensor> FromView(const TensorView& view);
  // Owns `values` with the given shape (used by tests and derived weights).
  static WeightTensor FromValues(std::vector<int64_t> shape, std::vector<float> values);

  const float* data() const { return data_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rows() const { return shape_.empty() ? 0 : shape_[0]; }
  // Product of all dimensions after the first.
  int64_t cols() const;
  int64_t size() const;
  bool empty() const { return data_ == nullptr; }
  bool borrowed() const { return data_ != nullptr && owned_.empty(); }

 private:
  const float* data_ = nullptr;
  std::vector<int64_t> shape_;
  std::vector<float> owned_;
};

}  // namespace lateral

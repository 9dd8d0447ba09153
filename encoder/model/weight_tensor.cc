#include "encoder/model/weight_tensor.h"

#include <cstring>

#include "common/numeric_formats.h"
#include "tbb/parallel_for.h"

namespace lateral {

int64_t WeightTensor::cols() const {
  int64_t n = 1;
  for (size_t i = 1; i < shape_.size(); ++i) n *= shape_[i];
  return n;
}

int64_t WeightTensor::size() const {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

WeightTensor WeightTensor::FromValues(std::vector<int64_t> shape, std::vector<float> values) {
  WeightTensor t;
  t.shape_ = std::move(shape);
  t.owned_ = std::move(values);
  t.data_ = t.owned_.data();
  return t;
}

absl::StatusOr<WeightTensor> WeightTensor::FromView(const TensorView& view) {
  WeightTensor t;
  t.shape_ = view.shape;
  const size_t n = static_cast<size_t>(view.NumElements());
  if (view.dtype == DType::kF32 && reinterpret_cast<uintptr_t>(view.data) % alignof(float) == 0) {
    t.data_ = reinterpret_cast<const float*>(view.data);
    return t;
  }
  if (view.dtype != DType::kF32 && view.dtype != DType::kBF16 && view.dtype != DType::kF16) {
    // F64 and integer weights do not occur in LFM2 checkpoints.
    absl::StatusOr<std::vector<float>> values = view.ToFloat();
    if (!values.ok()) return values.status();
    return FromValues(view.shape, std::move(*values));
  }
  t.owned_.resize(n);
  float* out = t.owned_.data();
  const uint8_t* in = view.data;
  const DType dtype = view.dtype;
  // Conversion of a large embedding matrix dominates load time: spread it.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      if (dtype == DType::kF32) {
        std::memcpy(out + i, in + 4 * i, 4);
      } else {
        uint16_t bits;
        std::memcpy(&bits, in + 2 * i, 2);
        out[i] = dtype == DType::kBF16 ? Bf16ToFloat(bits) : F16ToFloat(bits);
      }
    }
  });
  t.data_ = t.owned_.data();
  return t;
}

}  // namespace lateral

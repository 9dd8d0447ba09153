#include "encoder/model/weight_tensor.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/numeric_formats.h"
#include "tbb/parallel_for.h"

namespace lateral {
namespace {

// Widens (or copies) a bf16 / f16 / f32 view into `out`, in parallel: the
// conversion of a large embedding matrix dominates load time.
void ConvertToFloat(const TensorView& view, float* out) {
  const size_t n = static_cast<size_t>(view.NumElements());
  const uint8_t* in = view.data;
  const DType dtype = view.dtype;
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
}

void RoundToBf16Parallel(const float* in, size_t n, uint16_t* out) {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) out[i] = FloatToBf16(in[i]);
  });
}

}  // namespace

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

WeightStorage WeightTensor::storage() const {
  if (q4_ != nullptr) return WeightStorage::kQ4;
  if (int8_ != nullptr) return WeightStorage::kInt8;
  if (bf16_ != nullptr) return WeightStorage::kBf16;
  return WeightStorage::kF32;
}

int64_t WeightTensor::MatMulBytes() const {
  switch (storage()) {
    case WeightStorage::kInt8:
      return int8_->rows * (int8_->cols + static_cast<int64_t>(sizeof(float)));
    case WeightStorage::kQ4:
      return q4_->Bytes();
    case WeightStorage::kBf16:
      return size() * 2;
    case WeightStorage::kF32:
      return size() * 4;
  }
  return 0;
}

WeightTensor WeightTensor::FromValues(std::vector<int64_t> shape, std::vector<float> values) {
  WeightTensor t;
  t.shape_ = std::move(shape);
  t.owned_f32_ = std::move(values);
  t.f32_ = t.owned_f32_.data();
  return t;
}

WeightTensor WeightTensor::FromValuesAs(std::vector<int64_t> shape, const float* values, Precision precision) {
  WeightTensor t;
  t.shape_ = std::move(shape);
  const int64_t n = t.size();
  switch (precision) {
    case Precision::kF32:
      t.owned_f32_.assign(values, values + n);
      t.f32_ = t.owned_f32_.data();
      break;
    case Precision::kBf16:
      t.owned_bf16_.resize(n);
      RoundToBf16Parallel(values, static_cast<size_t>(n), t.owned_bf16_.data());
      t.bf16_ = t.owned_bf16_.data();
      break;
    case Precision::kInt8:
      t.int8_ = std::make_unique<kernels::Int8Matrix>(kernels::QuantizeInt8(values, t.rows(), t.cols(), t.cols()));
      break;
    case Precision::kQ4:
      t.q4_ = std::make_unique<kernels::Q4Matrix>(kernels::QuantizeQ4(values, t.rows(), t.cols(), t.cols()));
      break;
  }
  return t;
}

absl::StatusOr<WeightTensor> WeightTensor::FromView(const TensorView& view) {
  WeightTensor t;
  t.shape_ = view.shape;
  if (view.dtype == DType::kF32 && reinterpret_cast<uintptr_t>(view.data) % alignof(float) == 0) {
    t.f32_ = reinterpret_cast<const float*>(view.data);
    return t;
  }
  if (view.dtype != DType::kF32 && view.dtype != DType::kBF16 && view.dtype != DType::kF16) {
    // F64 and integer weights do not occur in LFM2 checkpoints.
    absl::StatusOr<std::vector<float>> values = view.ToFloat();
    if (!values.ok()) return values.status();
    return FromValues(view.shape, std::move(*values));
  }
  t.owned_f32_.resize(static_cast<size_t>(view.NumElements()));
  ConvertToFloat(view, t.owned_f32_.data());
  t.f32_ = t.owned_f32_.data();
  return t;
}

absl::StatusOr<WeightTensor> WeightTensor::FromViewAs(const TensorView& view, Precision precision) {
  if (precision == Precision::kF32) return FromView(view);
  if (view.shape.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", PrecisionName(precision), " weight must be a matrix, got ", view.shape.size(),
                     " dimension(s)"));
  }
  const bool aligned_bf16 =
      view.dtype == DType::kBF16 && reinterpret_cast<uintptr_t>(view.data) % alignof(uint16_t) == 0;
  if (precision == Precision::kBf16 && aligned_bf16) {
    WeightTensor t;
    t.shape_ = view.shape;
    t.bf16_ = reinterpret_cast<const uint16_t*>(view.data);
    return t;
  }
  if (precision == Precision::kInt8 && aligned_bf16) {
    WeightTensor t;
    t.shape_ = view.shape;
    t.int8_ = std::make_unique<kernels::Int8Matrix>(kernels::QuantizeInt8Bf16(
        reinterpret_cast<const uint16_t*>(view.data), t.rows(), t.cols(), t.cols()));
    return t;
  }
  if (precision == Precision::kQ4 && aligned_bf16) {
    WeightTensor t;
    t.shape_ = view.shape;
    t.q4_ = std::make_unique<kernels::Q4Matrix>(
        kernels::QuantizeQ4Bf16(reinterpret_cast<const uint16_t*>(view.data), t.rows(), t.cols(), t.cols()));
    return t;
  }
  // Other dtypes go through float32 (exact for f16 and bf16).
  absl::StatusOr<WeightTensor> f32 = FromView(view);
  if (!f32.ok()) return f32.status();
  return FromValuesAs(view.shape, f32->data(), precision);
}

void WeightTensor::AddInt8Form() {
  if (int8_ != nullptr || empty()) return;
  if (bf16_ != nullptr) {
    int8_ = std::make_unique<kernels::Int8Matrix>(kernels::QuantizeInt8Bf16(bf16_, rows(), cols(), cols()));
  } else {
    int8_ = std::make_unique<kernels::Int8Matrix>(kernels::QuantizeInt8(f32_, rows(), cols(), cols()));
  }
}

void WeightTensor::AddQ4Form() {
  if (q4_ != nullptr || empty()) return;
  if (bf16_ != nullptr) {
    q4_ = std::make_unique<kernels::Q4Matrix>(kernels::QuantizeQ4Bf16(bf16_, rows(), cols(), cols()));
  } else {
    q4_ = std::make_unique<kernels::Q4Matrix>(kernels::QuantizeQ4(f32_, rows(), cols(), cols()));
  }
}

void WeightTensor::RowToFloat(int64_t row, float* out) const {
  const int64_t c = cols();
  if (f32_ != nullptr) {
    std::memcpy(out, f32_ + row * c, c * sizeof(float));
  } else if (bf16_ != nullptr) {
    const uint16_t* in = bf16_ + row * c;
    for (int64_t i = 0; i < c; ++i) out[i] = Bf16ToFloat(in[i]);
  } else if (int8_ != nullptr) {
    const int8_t* in = int8_->values.data() + row * int8_->stride;
    const float scale = int8_->scales[row];
    for (int64_t i = 0; i < c; ++i) out[i] = static_cast<float>(in[i]) * scale;
  } else if (q4_ != nullptr) {
    q4_->RowToFloat(row, out);
  }
}

}  // namespace lateral

// Reading and writing the safetensors format (Hugging Face).
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {dtype, shape, data_offsets}, then the raw tensor bytes.
// SafetensorsFile validates everything a hostile file could lie about (header
// length, offsets, sizes against shapes, overlaps) before handing out views, so
// no later read can leave the mapped bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mapped_file.h"

namespace lateral {

enum class DType { kF32, kF16, kBF16, kF64, kI8, kU8, kI16, kI32, kI64, kBool };

// Bytes per element, and the name used in safetensors headers ("F32", "BF16", ...).
size_t DTypeSize(DType dtype);
absl::string_view DTypeName(DType dtype);

// A tensor inside a mapped file: a view, valid while the owning file lives.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t num_bytes = 0;

  int64_t NumElements() const;
  // Copies the tensor to float32; fails for integer and bool dtypes.
  absl::StatusOr<std::vector<float>> ToFloat() const;
  // Copies an integer tensor (I8..I64, U8, BOOL) to int64.
  absl::StatusOr<std::vector<int64_t>> ToInt64() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Errors name the path and what is wrong.
  static absl::StatusOr<SafetensorsFile> Open(const std::string& path);
  // Validates an in-memory buffer (used by the fuzzer and by tests); the
  // buffer must outlive the returned object.
  static absl::StatusOr<SafetensorsFile> Parse(const uint8_t* data, size_t size,
                                               std::string source);

  const std::string& path() const { return source_; }
  // Tensor names in header order is not meaningful in safetensors; sorted.
  std::vector<std::string> Names() const;
  bool Contains(absl::string_view name) const;
  // Fails with NotFound naming the file and tensor.
  absl::StatusOr<const TensorView*> Get(absl::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::string source_;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string, std::less<>> metadata_;
};

// Builds a safetensors file in memory. Tensors are written in insertion order,
// the header padded with spaces to 8-byte alignment as the reference writer does.
class SafetensorsWriter {
 public:
  void AddF32(std::string name, std::vector<int64_t> shape, const float* values);
  void AddI32(std::string name, std::vector<int64_t> shape, const int32_t* values);
  void AddBf16(std::string name, std::vector<int64_t> shape, const uint16_t* values);
  void AddRaw(std::string name, DType dtype, std::vector<int64_t> shape, std::string bytes);
  void SetMetadata(std::string key, std::string value);

  std::string Serialize() const;
  absl::Status WriteTo(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace lateral

#include "common/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/numeric_formats.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

// A header larger than this is refused outright (the reference library uses
// 100 MB); real checkpoints have headers of a few hundred kilobytes.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DTypeInfo {
  DType dtype;
  absl::string_view name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::kF32, "F32", 4},  {DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
    {DType::kF64, "F64", 8},  {DType::kI8, "I8", 1},   {DType::kU8, "U8", 1},
    {DType::kI16, "I16", 2},  {DType::kI32, "I32", 4}, {DType::kI64, "I64", 8},
    {DType::kBool, "BOOL", 1},
};

bool ParseDType(absl::string_view name, DType* out) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name) {
      *out = info.dtype;
      return true;
    }
  }
  return false;
}

bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace

size_t DTypeSize(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.size;
  }
  return 0;
}

absl::string_view DTypeName(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.name;
  }
  return "?";
}

int64_t TensorView::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<std::vector<float>> TensorView::ToFloat() const {
  const size_t n = static_cast<size_t>(NumElements());
  std::vector<float> out(n);
  switch (dtype) {
    case DType::kF32:
      std::memcpy(out.data(), data, n * 4);
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, data + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = Bf16ToFloat(v);
      }
      break;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = F16ToFloat(v);
      }
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("tensor \"", name, "\" has dtype ",
                                                     DTypeName(dtype),
                                                     ", expected a floating-point dtype"));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> TensorView::ToInt64() const {
  const size_t n = static_cast<size_t>(NumElements());
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::kI8:
        out[i] = static_cast<int8_t>(data[i]);
        break;
      case DType::kU8:
      case DType::kBool:
        out[i] = data[i];
        break;
      case DType::kI16: {
        int16_t v;
        std::memcpy(&v, data + 2 * i, 2);
        out[i] = v;
        break;
      }
      case DType::kI32: {
        int32_t v;
        std::memcpy(&v, data + 4 * i, 4);
        out[i] = v;
        break;
      }
      case DType::kI64: {
        int64_t v;
        std::memcpy(&v, data + 8 * i, 8);
        out[i] = v;
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("tensor \"", name, "\" has dtype ",
                                                       DTypeName(dtype),
                                                       ", expected an integer dtype"));
    }
  }
  return out;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  LATERAL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  LATERAL_ASSIGN_OR_RETURN(SafetensorsFile parsed,
                           Parse(file.data(), file.size(), path));
  parsed.file_ = std::move(file);
  return parsed;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Parse(const uint8_t* data, size_t size,
                                                       std::string source) {
  auto fail = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid safetensors file: ", what));
  };
  if (size < 8) return fail(absl::StrCat("file has ", size, " bytes, too short for the 8-byte header length"));
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  if (header_len > kMaxHeaderBytes) {
    return fail(absl::StrCat("header length ", header_len, " exceeds the limit of ", kMaxHeaderBytes));
  }
  if (header_len > size - 8) {
    return fail(absl::StrCat("header length ", header_len, " runs past the end of the file (",
                             size, " bytes); the file may be truncated"));
  }
  absl::string_view header_text(reinterpret_cast<const char*>(data + 8), header_len);
  LATERAL_ASSIGN_OR_RETURN(Json header, ParseJson(header_text, absl::StrCat(source, " (header)")));
  if (!header.is_object()) return fail("header is not a JSON object");

  const uint8_t* payload = data + 8 + header_len;
  const uint64_t payload_size = size - 8 - header_len;

  SafetensorsFile out;
  out.source_ = source;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const Json& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) return fail("__metadata__ is not an object");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string()) return fail(absl::StrCat("__metadata__.", m.key(), " is not a string"));
        out.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    std::string where = absl::StrCat("tensor \"", name, "\"");
    if (!entry.is_object()) return fail(absl::StrCat(where, " is not an object"));
    JsonObjectReader reader(entry, absl::StrCat(source, ": ", where));
    LATERAL_ASSIGN_OR_RETURN(std::string dtype_name, reader.GetString("dtype"));
    TensorView view;
    view.name = name;
    if (!ParseDType(dtype_name, &view.dtype)) {
      return fail(absl::StrCat(where, " has unknown dtype \"", dtype_name, "\""));
    }
    auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array()) return fail(absl::StrCat(where, " has no shape array"));
    uint64_t elements = 1;
    for (const Json& dim : *shape_it) {
      if (!dim.is_number_unsigned() && !(dim.is_number_integer() && dim.get<int64_t>() >= 0)) {
        return fail(absl::StrCat(where, " has a shape entry that is not a non-negative integer"));
      }
      uint64_t d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          !CheckedMul(elements, d, &elements)) {
        return fail(absl::StrCat(where, " has a shape whose size overflows"));
      }
      view.shape.push_back(static_cast<int64_t>(d));
    }
    auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
      return fail(absl::StrCat(where, " needs data_offsets [begin, end] of non-negative integers"));
    }
    uint64_t begin = (*offsets_it)[0].get<uint64_t>();
    uint64_t end = (*offsets_it)[1].get<uint64_t>();
    uint64_t expected_bytes;
    if (!CheckedMul(elements, DTypeSize(view.dtype), &expected_bytes)) {
      return fail(absl::StrCat(where, " has a byte size that overflows"));
    }
    if (begin > end) return fail(absl::StrCat(where, " has data_offsets with begin > end"));
    if (end - begin != expected_bytes) {
      return fail(absl::StrCat(where, " spans ", end - begin, " bytes but its shape [",
                               absl::StrJoin(view.shape, ", "), "] of ", dtype_name, " needs ",
                               expected_bytes));
    }
    if (end > payload_size) {
      return fail(absl::StrCat(where, " ends at byte ", end, " of a ", payload_size,
                               "-byte data section; the file may be truncated"));
    }
    view.data = payload + begin;
    view.num_bytes = expected_bytes;
    if (expected_bytes > 0) ranges.emplace_back(begin, end);
    out.tensors_.emplace(name, std::move(view));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return fail("two tensors' data ranges overlap");
  }
  return out;
}

std::vector<std::string> SafetensorsFile::Names() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, view] : tensors_) names.push_back(name);
  return names;
}

bool SafetensorsFile::Contains(absl::string_view name) const {
  return tensors_.find(name) != tensors_.end();
}

absl::StatusOr<const TensorView*> SafetensorsFile::Get(absl::string_view name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat(source_, ": no tensor named \"", name, "\""));
  }
  return &it->second;
}

void SafetensorsWriter::AddF32(std::string name, std::vector<int64_t> shape, const float* values) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  AddRaw(std::move(name), DType::kF32, std::move(shape),
         std::string(reinterpret_cast<const char*>(values), static_cast<size_t>(n) * 4));
}

void SafetensorsWriter::AddI32(std::string name, std::vector<int64_t> shape, const int32_t* values) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  AddRaw(std::move(name), DType::kI32, std::move(shape),
         std::string(reinterpret_cast<const char*>(values), static_cast<size_t>(n) * 4));
}

void SafetensorsWriter::AddBf16(std::string name, std::vector<int64_t> shape,
                                const uint16_t* values) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  AddRaw(std::move(name), DType::kBF16, std::move(shape),
         std::string(reinterpret_cast<const char*>(values), static_cast<size_t>(n) * 2));
}

void SafetensorsWriter::AddRaw(std::string name, DType dtype, std::vector<int64_t> shape,
                               std::string bytes) {
  entries_.push_back(Entry{std::move(name), dtype, std::move(shape), std::move(bytes)});
}

void SafetensorsWriter::SetMetadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::string SafetensorsWriter::Serialize() const {
  Json header = Json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const Entry& e : entries_) {
    header[e.name] = {{"dtype", std::string(DTypeName(e.dtype))},
                      {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  out += text;
  for (const Entry& e : entries_) out += e.bytes;
  return out;
}

absl::Status SafetensorsWriter::WriteTo(const std::string& path) const {
  return WriteFileAtomically(path, Serialize());
}

}  // namespace lateral

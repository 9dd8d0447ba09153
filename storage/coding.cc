#include "storage/coding.h"

#include <bit>
#include <cstring>

namespace lateral::storage {

static_assert(sizeof(float) == 4 && sizeof(double) == 8);

void PutBigEndian32(std::string* dst, uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  dst->append(bytes, 4);
}

uint32_t DecodeBigEndian32(const char* src) {
  const auto* p = reinterpret_cast<const uint8_t*>(src);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void PutFixed32(std::string* dst, uint32_t value) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  dst->append(bytes, 4);
}

void PutFixed64(std::string* dst, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  dst->append(bytes, 8);
}

void PutVarint32(std::string* dst, uint32_t value) { PutVarint64(dst, value); }

void PutVarint64(std::string* dst, uint64_t value) {
  char bytes[kMaxVarint64Bytes];
  int n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  dst->append(bytes, n);
}

void PutLengthPrefixed(std::string* dst, absl::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value.data(), value.size());
}

void PutFloats(std::string* dst, const float* values, size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    dst->append(reinterpret_cast<const char*>(values), n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) PutFixed32(dst, std::bit_cast<uint32_t>(values[i]));
  }
}

void PutDouble(std::string* dst, double value) { PutFixed64(dst, std::bit_cast<uint64_t>(value)); }

bool ByteReader::ReadByte(uint8_t* value) {
  if (input_.empty()) return false;
  *value = static_cast<uint8_t>(input_[0]);
  input_.remove_prefix(1);
  return true;
}

bool ByteReader::ReadFixed32(uint32_t* value) {
  if (input_.size() < 4) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(input_.data());
  *value = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  input_.remove_prefix(4);
  return true;
}

bool ByteReader::ReadFixed64(uint64_t* value) {
  if (input_.size() < 8) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(input_.data());
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  *value = v;
  input_.remove_prefix(8);
  return true;
}

bool ByteReader::ReadVarint64(uint64_t* value) {
  uint64_t result = 0;
  for (int i = 0; i < kMaxVarint64Bytes && i < static_cast<int>(input_.size()); ++i) {
    const uint8_t byte = static_cast<uint8_t>(input_[i]);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (i == kMaxVarint64Bytes - 1 && byte > 1) return false;
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      input_.remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;  // ran out of bytes, or too long
}

bool ByteReader::ReadVarint32(uint32_t* value) {
  uint64_t wide;
  if (!ReadVarint64(&wide) || wide > UINT32_MAX) return false;
  *value = static_cast<uint32_t>(wide);
  return true;
}

bool ByteReader::ReadBytes(size_t n, absl::string_view* value) {
  if (input_.size() < n) return false;
  *value = input_.substr(0, n);
  input_.remove_prefix(n);
  return true;
}

bool ByteReader::ReadLengthPrefixed(absl::string_view* value) {
  uint32_t n;
  return ReadVarint32(&n) && ReadBytes(n, value);
}

bool ByteReader::ReadFloats(size_t n, float* values) {
  if (n > input_.size() / sizeof(float)) return false;
  if (n == 0) return true;  // `values` may be null for an empty vector
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(values, input_.data(), n * sizeof(float));
    input_.remove_prefix(n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits;
      ReadFixed32(&bits);
      values[i] = std::bit_cast<float>(bits);
    }
  }
  return true;
}

bool ByteReader::ReadDouble(double* value) {
  uint64_t bits;
  if (!ReadFixed64(&bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}

}  // namespace lateral::storage

// storage/ private header: byte-level encoding helpers for keys and values.
//
// Two families:
//   - big-endian fixed-width integers, for keys, so RocksDB's bytewise order
//     is numeric order;
//   - little-endian fixed-width integers, LEB128 varints and length-prefixed
//     byte strings, for values.
// Writers append to a std::string. ByteReader never reads past its input: each
// Read* returns false when the bytes run out or a varint is malformed, and the
// caller turns that into a status naming the key (see record_codec.cc).
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace lateral::storage {

// Most bytes a varint32 / varint64 takes: 7 payload bits per byte.
constexpr int kMaxVarint32Bytes = 5;   // ceil(32 / 7)
constexpr int kMaxVarint64Bytes = 10;  // ceil(64 / 7)

void PutBigEndian32(std::string* dst, uint32_t value);
// REQUIRES: src holds at least 4 bytes.
uint32_t DecodeBigEndian32(const char* src);

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);
// varint32 length, then the bytes. REQUIRES: value.size() < 2^32.
void PutLengthPrefixed(std::string* dst, absl::string_view value);
// Raw IEEE-754 bits, little-endian, so values round-trip exactly (NaN too).
void PutFloats(std::string* dst, const float* values, size_t n);
void PutDouble(std::string* dst, double value);

// A cursor over an encoded value. Each Read* consumes its bytes on success and
// leaves the cursor unspecified on failure (callers stop at the first failure).
class ByteReader {
 public:
  explicit ByteReader(absl::string_view input) : input_(input) {}

  bool ReadByte(uint8_t* value);
  bool ReadFixed32(uint32_t* value);
  bool ReadFixed64(uint64_t* value);
  bool ReadVarint32(uint32_t* value);
  bool ReadVarint64(uint64_t* value);
  bool ReadLengthPrefixed(absl::string_view* value);
  bool ReadBytes(size_t n, absl::string_view* value);
  // Reads n floats; fails without allocating when fewer than 4n bytes remain,
  // so a garbled count cannot trigger a huge allocation.
  bool ReadFloats(size_t n, float* values);
  bool ReadDouble(double* value);

  size_t remaining() const { return input_.size(); }
  // The unread bytes, for sections another reader decodes (bit streams).
  absl::string_view rest() const { return input_; }
  bool empty() const { return input_.empty(); }
  // Bytes consumed so far, for error messages.
  size_t offset(absl::string_view original) const { return original.size() - input_.size(); }

 private:
  absl::string_view input_;
};

}  // namespace lateral::storage

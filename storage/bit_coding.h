// storage/ private header: bit streams and Golomb-Rice codes, for the compact
// parts of values (a document's centroid ids, a posting segment's doc ids).
//
// Bits are packed least-significant bit first: the first bit written is bit 0
// of the first byte. A Rice code with parameter k writes v as q = v >> k in
// unary (q zero bits, then a one bit) followed by the k low bits of v. Small k
// suits small values; ChooseRiceParameter picks the k that minimises the bits
// of a given list, which the writer stores next to the bits.
//
// BitWriter appends to a std::string and pads the last byte with zero bits.
// BitReader never reads past its input: each Read* returns false when the bits
// run out or a value would not fit in 32 bits, and the caller turns that into
// a DataLoss status naming the key (record_codec.cc, posting_segment.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace lateral::storage {

// Largest Rice parameter: values are 32-bit, so k = 31 keeps a one-bit quotient.
constexpr int kMaxRiceParameter = 31;

// The k in [0, max_k] that codes `values` in the fewest bits (the smallest
// such k on ties). 0 for an empty list.
int ChooseRiceParameter(absl::Span<const uint32_t> values, int max_k = kMaxRiceParameter);
// Bits that RiceBits(values, k) would write, for size estimates and tests.
uint64_t RiceBits(absl::Span<const uint32_t> values, int k);

class BitWriter {
 public:
  // Appends to *out, which must outlive the writer.
  explicit BitWriter(std::string* out) : out_(out) {}
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;

  // The low n bits of `bits`. REQUIRES: 0 <= n <= 32.
  void WriteBits(uint32_t bits, int n);
  // REQUIRES: 0 <= k <= kMaxRiceParameter.
  void WriteRice(uint32_t value, int k);
  // Pads the last byte with zero bits and appends it. Call it once all bits
  // are written: until then up to 7 bits wait in the writer. Idempotent.
  void Finish();

 private:
  std::string* out_;
  uint64_t buffer_ = 0;  // pending bits, the oldest in bit 0
  int count_ = 0;        // pending bits in buffer_, < 8 between calls
};

class BitReader {
 public:
  explicit BitReader(absl::string_view bytes)
      : data_(reinterpret_cast<const uint8_t*>(bytes.data())), size_bits_(uint64_t{bytes.size()} * 8) {}

  // REQUIRES: 0 <= n <= 32.
  bool ReadBits(int n, uint32_t* value);
  // Fails at the end of the input and when the value exceeds UINT32_MAX (a
  // quotient too long for k). REQUIRES: 0 <= k <= kMaxRiceParameter.
  bool ReadRice(int k, uint32_t* value);

  uint64_t bits_left() const { return size_bits_ - position_; }
  // Bytes touched so far (a partly read byte counts).
  size_t bytes_used() const { return static_cast<size_t>((position_ + 7) / 8); }
  // True when the unread bits of the current byte are all zero: what a
  // BitWriter's padding looks like.
  bool PaddingIsZero() const;

 private:
  const uint8_t* data_;
  uint64_t size_bits_;
  uint64_t position_ = 0;  // next bit to read
};

}  // namespace lateral::storage

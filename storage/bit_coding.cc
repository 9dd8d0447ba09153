#include "storage/bit_coding.h"

#include <bit>

namespace lateral::storage {

uint64_t RiceBits(absl::Span<const uint32_t> values, int k) {
  uint64_t bits = uint64_t{values.size()} * (k + 1);
  for (uint32_t v : values) bits += v >> k;
  return bits;
}

int ChooseRiceParameter(absl::Span<const uint32_t> values, int max_k) {
  int best_k = 0;
  uint64_t best_bits = RiceBits(values, 0);
  for (int k = 1; k <= max_k; ++k) {
    const uint64_t bits = RiceBits(values, k);
    if (bits < best_bits) {
      best_bits = bits;
      best_k = k;
    }
    // The cost is convex in k: once the quotients are all zero, each further
    // k only adds a bit per value.
    if (bits > best_bits) break;
  }
  return best_k;
}

void BitWriter::WriteBits(uint32_t bits, int n) {
  if (n == 0) return;
  const uint64_t mask = (uint64_t{1} << n) - 1;
  buffer_ |= (bits & mask) << count_;  // count_ < 8, n <= 32: fits in 64 bits
  count_ += n;
  while (count_ >= 8) {
    out_->push_back(static_cast<char>(buffer_ & 0xff));
    buffer_ >>= 8;
    count_ -= 8;
  }
}

void BitWriter::WriteRice(uint32_t value, int k) {
  uint32_t quotient = value >> k;
  while (quotient >= 32) {
    WriteBits(0, 32);
    quotient -= 32;
  }
  WriteBits(uint32_t{1} << quotient, static_cast<int>(quotient) + 1);  // zeros, then the stop bit
  WriteBits(value, k);
}

void BitWriter::Finish() {
  if (count_ > 0) {
    out_->push_back(static_cast<char>(buffer_ & 0xff));
    buffer_ = 0;
    count_ = 0;
  }
}

bool BitReader::ReadBits(int n, uint32_t* value) {
  if (n == 0) {
    *value = 0;
    return true;
  }
  if (bits_left() < static_cast<uint64_t>(n)) return false;
  const size_t first = static_cast<size_t>(position_ >> 3);
  const int shift = static_cast<int>(position_ & 7);
  const int n_bytes = (shift + n + 7) >> 3;  // at most 5; all within the input (checked above)
  uint64_t gathered = 0;
  for (int i = 0; i < n_bytes; ++i) gathered |= uint64_t{data_[first + i]} << (8 * i);
  *value = static_cast<uint32_t>((gathered >> shift) & ((uint64_t{1} << n) - 1));
  position_ += n;
  return true;
}

bool BitReader::ReadRice(int k, uint32_t* value) {
  // The longest quotient whose value still fits in 32 bits; a longer run of
  // zeros is corruption, and stopping early bounds the work on garbage.
  const uint64_t max_quotient = UINT32_MAX >> k;
  uint64_t quotient = 0;
  while (true) {
    if (position_ >= size_bits_) return false;
    const int shift = static_cast<int>(position_ & 7);
    const uint32_t rest = uint32_t{data_[position_ >> 3]} >> shift;  // this byte's unread bits
    if (rest != 0) {
      const int zeros = std::countr_zero(rest);
      quotient += zeros;
      position_ += zeros + 1;  // the zeros and the stop bit
      break;
    }
    quotient += 8 - shift;
    position_ += 8 - shift;
    if (quotient > max_quotient) return false;
  }
  if (quotient > max_quotient) return false;
  uint32_t low;
  if (!ReadBits(k, &low)) return false;
  *value = static_cast<uint32_t>((quotient << k) | low);
  return true;
}

bool BitReader::PaddingIsZero() const {
  const int shift = static_cast<int>(position_ & 7);
  if (shift == 0) return true;
  return (data_[position_ >> 3] >> shift) == 0;
}

}  // namespace lateral::storage

#include "ingest/walk/binary_sniff.h"

#include <cstdint>

namespace lateral::ingest {
namespace {

bool IsSuspiciousControl(uint32_t c) {
  if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x1B || c == 0x08) {
    return false;
  }
  return c < 0x20 || c == 0x7F;
}

// More than 10% suspicious units out of `total`.
bool TooManyControls(size_t suspicious, size_t total) { return suspicious * 10 > total; }

uint32_t Unit16(const unsigned char* p, bool little) {
  return little ? (p[0] | (p[1] << 8)) : ((p[0] << 8) | p[1]);
}

bool LooksBinaryUtf16(std::string_view body, bool little) {
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const size_t units = body.size() / 2;  // a trailing odd byte is a cut, not an error
  size_t suspicious = 0;
  for (size_t i = 0; i < units; ++i) {
    const uint32_t u = Unit16(p + 2 * i, little);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 == units) break;  // pair cut by the window
      const uint32_t low = Unit16(p + 2 * (i + 1), little);
      if (low < 0xDC00 || low > 0xDFFF) return true;
      ++i;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return true;  // lone low surrogate
    } else if (IsSuspiciousControl(u)) {
      ++suspicious;
    }
  }
  return TooManyControls(suspicious, units);
}

bool LooksBinaryUtf32(std::string_view body, bool little) {
  const auto* p = reinterpret_cast<const unsigned char*>(body.data());
  const size_t units = body.size() / 4;
  size_t suspicious = 0;
  for (size_t i = 0; i < units; ++i) {
    const unsigned char* q = p + 4 * i;
    const uint32_t u = little ? (q[0] | (q[1] << 8) | (q[2] << 16) | (uint32_t{q[3]} << 24))
                              : ((uint32_t{q[0]} << 24) | (q[1] << 16) | (q[2] << 8) | q[3]);
    if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) return true;
    if (IsSuspiciousControl(u)) ++suspicious;
  }
  return TooManyControls(suspicious, units);
}

}  // namespace

bool LooksBinary(std::string_view head) {
  if (head.empty()) return false;
  if (head.substr(0, 4) == std::string_view("\xFF\xFE\0\0", 4)) {
    return LooksBinaryUtf32(head.substr(4), /*little=*/true);
  }
  if (head.substr(0, 4) == std::string_view("\0\0\xFE\xFF", 4)) {
    return LooksBinaryUtf32(head.substr(4), /*little=*/false);
  }
  if (head.substr(0, 2) == "\xFF\xFE") return LooksBinaryUtf16(head.substr(2), true);
  if (head.substr(0, 2) == "\xFE\xFF") return LooksBinaryUtf16(head.substr(2), false);
  size_t suspicious = 0;
  for (char ch : head) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return true;
    if (IsSuspiciousControl(c)) ++suspicious;
  }
  return TooManyControls(suspicious, head.size());
}

}  // namespace lateral::ingest

#include "encoder/tokenizer/utf8.h"

namespace lateral::tok {

Utf8Scan ScanUtf8(const uint8_t* p, size_t n) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return {Utf8ScanKind::kValid, 1};
  // The number of continuation bytes and the allowed range of the first one;
  // the narrowed ranges exclude overlong forms, surrogates and code points
  // above U+10FFFF (Unicode Table 3-7, which Rust's validator follows).
  int needed;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    needed = 1;
  } else if (b0 == 0xE0) {
    needed = 2;
    lo = 0xA0;
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    needed = 2;
  } else if (b0 == 0xED) {
    needed = 2;
    hi = 0x9F;
  } else if (b0 == 0xF0) {
    needed = 3;
    lo = 0x90;
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    needed = 3;
  } else if (b0 == 0xF4) {
    needed = 3;
    hi = 0x8F;
  } else {
    return {Utf8ScanKind::kInvalid, 1};  // 0x80..0xC1, 0xF5..0xFF never start a character
  }
  int i = 1;
  for (int k = 0; k < needed; ++k, ++i) {
    if (static_cast<size_t>(i) >= n) return {Utf8ScanKind::kIncomplete, i};
    const uint8_t b = p[i];
    const uint8_t range_lo = k == 0 ? lo : 0x80;
    const uint8_t range_hi = k == 0 ? hi : 0xBF;
    if (b < range_lo || b > range_hi) return {Utf8ScanKind::kInvalid, i};
  }
  return {Utf8ScanKind::kValid, i};
}

std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs dominate most text; skip them eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      __builtin_memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const Utf8Scan scan = ScanUtf8(p + i, n - i);
    if (scan.kind != Utf8ScanKind::kValid) return i;
    i += scan.length;
  }
  return std::nullopt;
}

void AppendUtf8(int32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

namespace {

// Appends the lossy conversion of bytes[0..n) to *out and returns how many
// bytes were consumed; when `hold_incomplete`, a trailing incomplete sequence
// is left unconsumed instead of being replaced.
size_t AppendLossy(const uint8_t* p, size_t n, bool hold_incomplete, std::string* out) {
  size_t i = 0;
  while (i < n) {
    const size_t run_start = i;
    while (i < n && p[i] < 0x80) ++i;
    out->append(reinterpret_cast<const char*>(p + run_start), i - run_start);
    if (i >= n) break;
    const Utf8Scan scan = ScanUtf8(p + i, n - i);
    switch (scan.kind) {
      case Utf8ScanKind::kValid:
        out->append(reinterpret_cast<const char*>(p + i), scan.length);
        break;
      case Utf8ScanKind::kInvalid:
        out->append(kReplacementCharacter);
        break;
      case Utf8ScanKind::kIncomplete:
        if (hold_incomplete) return i;
        out->append(kReplacementCharacter);
        break;
    }
    i += scan.length;
  }
  return n;
}

}  // namespace

std::string Utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  AppendLossy(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
              /*hold_incomplete=*/false, &out);
  return out;
}

std::string Utf8StreamAssembler::Push(std::string_view bytes) {
  std::string out;
  if (pending_.empty()) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    const size_t used = AppendLossy(p, bytes.size(), /*hold_incomplete=*/true, &out);
    pending_.assign(bytes.substr(used));
    return out;
  }
  std::string joined = pending_;
  joined.append(bytes);
  const auto* p = reinterpret_cast<const uint8_t*>(joined.data());
  const size_t used = AppendLossy(p, joined.size(), /*hold_incomplete=*/true, &out);
  pending_ = joined.substr(used);
  return out;
}

std::string Utf8StreamAssembler::Finish() {
  std::string out;
  if (!pending_.empty()) {
    AppendLossy(reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size(),
                /*hold_incomplete=*/false, &out);
    pending_.clear();
  }
  return out;
}

}  // namespace lateral::tok

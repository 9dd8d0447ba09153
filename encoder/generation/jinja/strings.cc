#include "encoder/generation/jinja/strings.h"

#include <algorithm>

#include "encoder/generation/jinja/value.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"

namespace lateral::jinja {
namespace {

uint32_t DecodeAt(const std::string& s, size_t begin, size_t end) {
  const unsigned char c = static_cast<unsigned char>(s[begin]);
  const size_t n = end - begin;
  if (n == 1) return c;
  uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[begin + k]) & 0x3F);
  return cp;
}

}  // namespace

// Python's str.isspace() for one code point.
bool IsPySpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// str.strip / lstrip / rstrip; `chars` null = whitespace.
std::string Strip(const std::string& s, const std::string* chars, bool left, bool right) {
  const std::vector<size_t> offsets = CodePointOffsets(s);
  std::vector<std::string> char_set;
  if (chars != nullptr) {
    const std::vector<size_t> co = CodePointOffsets(*chars);
    for (size_t k = 0; k + 1 < co.size(); ++k) char_set.push_back(chars->substr(co[k], co[k + 1] - co[k]));
  }
  auto strip_at = [&](size_t k) {
    if (chars == nullptr) return IsPySpace(DecodeAt(s, offsets[k], offsets[k + 1]));
    const std::string c = s.substr(offsets[k], offsets[k + 1] - offsets[k]);
    return std::find(char_set.begin(), char_set.end(), c) != char_set.end();
  };
  size_t first = 0;
  size_t last = offsets.size() - 1;  // exclusive, in code points
  if (left) {
    while (first < last && strip_at(first)) ++first;
  }
  if (right) {
    while (last > first && strip_at(last - 1)) --last;
  }
  return s.substr(offsets[first], offsets[last] - offsets[first]);
}

// str.lower() / str.upper(): Unicode full case mapping (ß -> SS), as Python.
std::string CaseMap(std::string s, bool upper) {
  bool ascii = true;
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  }
  if (ascii) return s;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  std::string round_trip;
  text.toUTF8String(round_trip);
  if (round_trip != s) return s;  // invalid UTF-8: leave the bytes as they are
  if (upper) {
    text.toUpper(icu::Locale::getRoot());
  } else {
    text.toLower(icu::Locale::getRoot());
  }
  std::string out;
  text.toUTF8String(out);
  return out;
}

std::string ReplaceAll(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` between code points (and at both ends).
    const std::vector<size_t> offsets = CodePointOffsets(s);
    int64_t done = 0;
    for (size_t k = 0; k + 1 < offsets.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      out += s.substr(offsets[k], offsets[k + 1] - offsets[k]);
    }
    if (count < 0 || done < count) out += to;
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t found = s.find(from, pos);
    if (found == std::string::npos) break;
    out.append(s, pos, found - pos);
    out += to;
    pos = found + from.size();
    ++done;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

// Python's slice index normalisation (PySlice_AdjustIndices).
std::vector<int64_t> SliceIndices(int64_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                  int64_t step) {
  int64_t lo;
  int64_t hi;
  if (step > 0) {
    lo = start.value_or(0);
    hi = stop.value_or(length);
    if (lo < 0) lo = std::max<int64_t>(lo + length, 0);
    if (hi < 0) hi = std::max<int64_t>(hi + length, 0);
    lo = std::min(lo, length);
    hi = std::min(hi, length);
  } else {
    lo = start.value_or(length - 1);
    hi = stop.has_value() ? *stop : -1 - length;
    if (lo < 0) lo = std::max<int64_t>(lo + length, -1);
    if (hi < 0) hi = std::max<int64_t>(hi + length, -1);
    lo = std::min(lo, length - 1);
    hi = std::min(hi, length - 1);
  }
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = lo; i < hi; i += step) out.push_back(i);
  } else {
    for (int64_t i = lo; i > hi; i += step) out.push_back(i);
  }
  return out;
}

std::vector<std::string> PySplit(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  if (sep == nullptr) {
    // Runs of whitespace separate; no empty strings; a remainder after
    // maxsplit keeps its outer whitespace on the far side.
    const std::vector<size_t> offsets = CodePointOffsets(s);
    std::vector<std::pair<size_t, size_t>> words;  // code point ranges
    size_t k = 0;
    const size_t n = offsets.size() - 1;
    while (k < n) {
      while (k < n && IsPySpace(DecodeAt(s, offsets[k], offsets[k + 1]))) ++k;
      if (k >= n) break;
      size_t j = k;
      while (j < n && !IsPySpace(DecodeAt(s, offsets[j], offsets[j + 1]))) ++j;
      words.emplace_back(k, j);
      k = j;
    }
    auto word = [&](size_t w) { return s.substr(offsets[words[w].first], offsets[words[w].second] - offsets[words[w].first]); };
    if (maxsplit >= 0 && static_cast<int64_t>(words.size()) > maxsplit + 1) {
      if (!from_right) {
        for (int64_t w = 0; w < maxsplit; ++w) out.push_back(word(w));
        out.push_back(s.substr(offsets[words[maxsplit].first]));
        return out;
      }
      const size_t keep_from = words.size() - maxsplit;
      out.push_back(s.substr(0, offsets[words[keep_from - 1].second]));
      for (size_t w = keep_from; w < words.size(); ++w) out.push_back(word(w));
      return out;
    }
    for (size_t w = 0; w < words.size(); ++w) out.push_back(word(w));
    return out;
  }
  const std::string& d = *sep;
  size_t pos = 0;
  while (true) {
    const size_t found = s.find(d, pos);
    if (found == std::string::npos) break;
    out.push_back(s.substr(pos, found - pos));
    pos = found + d.size();
  }
  out.push_back(s.substr(pos));
  if (maxsplit >= 0 && static_cast<int64_t>(out.size()) > maxsplit + 1) {
    std::vector<std::string> merged;
    if (!from_right) {
      merged.assign(out.begin(), out.begin() + maxsplit);
      std::string rest = out[maxsplit];
      for (size_t i = maxsplit + 1; i < out.size(); ++i) rest += d + out[i];
      merged.push_back(rest);
    } else {
      const size_t keep_from = out.size() - maxsplit;
      std::string rest = out[0];
      for (size_t i = 1; i < keep_from; ++i) rest += d + out[i];
      merged.push_back(rest);
      merged.insert(merged.end(), out.begin() + keep_from, out.end());
    }
    out = std::move(merged);
  }
  return out;
}

}  // namespace lateral::jinja

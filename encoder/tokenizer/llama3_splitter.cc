#include "encoder/tokenizer/llama3_splitter.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <unicode/uchar.h>

#include "encoder/tokenizer/utf8.h"

namespace lateral::tok {
namespace {

constexpr std::string_view kPatternHead = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|";
constexpr std::string_view kDigits3 = "\\p{N}{1,3}";
constexpr std::string_view kDigits1 = "\\p{N}";
constexpr std::string_view kPatternTail =
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Per-thread scratch buffers larger than this (in characters) are released after use.
constexpr size_t kKeptBufferSize = 1 << 20;

// Character classes, as bits.
enum : uint8_t {
  kLetter = 1,      // \p{L}
  kNumber = 2,      // \p{N}
  kSpace = 4,       // \s
  kLineBreak = 8,   // [\r\n]
};

uint8_t ComputeClass(int32_t c) {
  uint8_t cls = 0;
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_L_MASK) cls |= kLetter;
  if (mask & U_GC_N_MASK) cls |= kNumber;
  if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) cls |= kSpace;
  if (c == '\r' || c == '\n') cls |= kLineBreak;
  return cls;
}

// Classes of the Basic Multilingual Plane, computed once; other planes ask ICU.
class ClassTable {
 public:
  ClassTable() {
    for (int32_t c = 0; c < 0x10000; ++c) bmp_[c] = ComputeClass(c);
  }
  uint8_t Get(int32_t c) const { return c < 0x10000 ? bmp_[c] : ComputeClass(c); }

 private:
  std::array<uint8_t, 0x10000> bmp_;
};

const ClassTable& Classes() {
  static const ClassTable* table = new ClassTable();
  return *table;
}

// [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls other than white space.
inline bool IsOther(uint8_t cls) { return (cls & (kSpace | kLetter | kNumber)) == 0; }
// [^\r\n\p{L}\p{N}]: the optional character before a letter run.
inline bool IsLetterLead(uint8_t cls) { return (cls & (kLineBreak | kLetter | kNumber)) == 0; }

class Llama3Splitter : public Splitter {
 public:
  explicit Llama3Splitter(const Llama3SplitterOptions& options) : options_(options) {
    Classes();  // build the table now rather than inside the first Encode
  }

  absl::Status FindMatches(std::string_view text,
                           std::vector<MatchRange>* matches) const override {
    // Decode once into per-character classes and offsets.
    thread_local std::vector<uint8_t> cls;
    thread_local std::vector<uint32_t> offset;
    cls.clear();
    offset.clear();
    const ClassTable& classes = Classes();
    size_t pos = 0;
    while (pos < text.size()) {
      int length = 1;
      const int32_t c = DecodeUtf8At(text, pos, &length);
      offset.push_back(static_cast<uint32_t>(pos));
      cls.push_back(classes.Get(c));
      pos += length;
    }
    offset.push_back(static_cast<uint32_t>(text.size()));
    const size_t n = cls.size();

    size_t i = 0;
    while (i < n) {
      const size_t end = MatchAt(text, cls, offset, i);
      if (end == i) {  // no alternative matches here (cannot happen for this pattern)
        ++i;
        continue;
      }
      matches->push_back(MatchRange{offset[i], offset[end]});
      i = end;
    }
    // Per-thread buffers live as long as the thread; do not let one huge text
    // pin its size there.
    if (cls.capacity() > kKeptBufferSize) {
      std::vector<uint8_t>().swap(cls);
      std::vector<uint32_t>().swap(offset);
    }
    return absl::OkStatus();
  }

 private:
  // End (character index) of the match starting at character i, or i when
  // no alternative matches. Alternatives are tried in the regex's order; the
  // first that matches wins, as in a backtracking engine.
  size_t MatchAt(std::string_view text, const std::vector<uint8_t>& cls,
                 const std::vector<uint32_t>& offset, size_t i) const {
    const size_t n = cls.size();
    auto run_end = [&](size_t j, auto predicate) {
      while (j < n && predicate(cls[j])) ++j;
      return j;
    };
    auto is_letter = [](uint8_t c) { return (c & kLetter) != 0; };
    auto is_other = [](uint8_t c) { return IsOther(c); };
    auto is_line_break = [](uint8_t c) { return (c & kLineBreak) != 0; };
    const uint8_t c0 = cls[i];
    const bool has_next = i + 1 < n;
    const uint8_t c1 = has_next ? cls[i + 1] : 0;

    // (?i:'s|'t|'re|'ve|'m|'ll|'d). Case-insensitive matching folds U+017F
    // LATIN SMALL LETTER LONG S to 's'; no other character folds to these letters.
    if (text[offset[i]] == '\'' && has_next) {
      const size_t contraction = ContractionEnd(text, offset, i);
      if (contraction > i) return contraction;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c0 & kLetter) return run_end(i + 1, is_letter);
    if (IsLetterLead(c0) && (c1 & kLetter)) return run_end(i + 2, is_letter);
    // \p{N}{1,max}
    if (c0 & kNumber) {
      size_t j = i + 1;
      while (j < n && j - i < static_cast<size_t>(options_.max_digits) && (cls[j] & kNumber)) ++j;
      return j;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    if (has_next && text[offset[i]] == ' ' && IsOther(c1)) {
      return run_end(run_end(i + 2, is_other), is_line_break);
    }
    if (IsOther(c0)) return run_end(run_end(i + 1, is_other), is_line_break);
    if (!(c0 & kSpace)) return i;

    // c0 is white space; all of the remaining alternatives start with \s.
    const size_t space_end = run_end(i + 1, [](uint8_t c) { return (c & kSpace) != 0; });
    // \s*[\r\n]+ : \s* backs off until a line break follows, so the match
    // ends right after the last line break of the white-space run.
    for (size_t k = space_end; k > i; --k) {
      if (cls[k - 1] & kLineBreak) return k;
    }
    // \s+(?!\S) : the whole run at the end of the text, else all of it but
    // the last character (which then leads the next match), if that leaves any.
    if (space_end == n) return space_end;
    if (space_end - i >= 2) return space_end - 1;
    // \s+
    return space_end;
  }

  static size_t ContractionEnd(std::string_view text, const std::vector<uint32_t>& offset,
                               size_t i) {
    const size_t n = offset.size() - 1;
    auto ascii_lower = [&](size_t k) -> int {
      if (k >= n || offset[k + 1] - offset[k] != 1) return -1;
      const char ch = text[offset[k]];
      return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
    };
    auto is_long_s = [&](size_t k) {
      return k < n && offset[k + 1] - offset[k] == 2 &&
             static_cast<uint8_t>(text[offset[k]]) == 0xC5 &&
             static_cast<uint8_t>(text[offset[k] + 1]) == 0xBF;
    };
    const int a = ascii_lower(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd' || is_long_s(i + 1)) return i + 2;
    const int b = ascii_lower(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    return i;
  }

  Llama3SplitterOptions options_;
};

}  // namespace

std::string Llama3Pattern(const Llama3SplitterOptions& options) {
  std::string pattern(kPatternHead);
  pattern.append(options.max_digits == 1 ? kDigits1 : kDigits3);
  pattern.append(kPatternTail);
  return pattern;
}

std::optional<Llama3SplitterOptions> RecognizeLlama3Pattern(std::string_view pattern) {
  for (int digits : {3, 1}) {
    Llama3SplitterOptions options;
    options.max_digits = digits;
    if (pattern == Llama3Pattern(options)) return options;
  }
  return std::nullopt;
}

std::unique_ptr<Splitter> NewLlama3Splitter(const Llama3SplitterOptions& options) {
  return std::make_unique<Llama3Splitter>(options);
}

}  // namespace lateral::tok

#include "encoder/tokenizer/added_tokens.h"

#include <algorithm>

#include <unicode/uchar.h>

#include "encoder/tokenizer/utf8.h"

namespace lateral::tok {
namespace {

// Rust regex's Unicode \w (UTS #18 Annex C), which tokenizers uses for
// `single_word`: Alphabetic, marks, decimal digits, connector punctuation and
// join controls.
bool IsWordChar(int32_t c) {
  if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC)) return true;
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) return true;
  return u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL);
}

bool IsWhiteSpace(int32_t c) { return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE); }

// Start of the character that ends at text[end) (end > 0; text valid UTF-8).
size_t PreviousCharStart(std::string_view text, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

int32_t CharBefore(std::string_view text, size_t end) {
  int length = 0;
  return DecodeUtf8At(text, PreviousCharStart(text, end), &length);
}

int32_t CharAt(std::string_view text, size_t pos) {
  int length = 0;
  return DecodeUtf8At(text, pos, &length);
}

// Start of the white-space run that ends at `end`.
size_t TrailingSpaceStart(std::string_view text, size_t end) {
  while (end > 0) {
    const size_t start = PreviousCharStart(text, end);
    if (!IsWhiteSpace(CharAt(text, start))) break;
    end = start;
  }
  return end;
}

// End of the white-space run that starts at `pos`.
size_t LeadingSpaceEnd(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    int length = 0;
    if (!IsWhiteSpace(DecodeUtf8At(text, pos, &length))) break;
    pos += length;
  }
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<Pattern> patterns) {
  std::stable_sort(patterns.begin(), patterns.end(),
                   [](const Pattern& a, const Pattern& b) { return a.text < b.text; });
  for (Pattern& p : patterns) {
    if (p.text.empty()) continue;
    if (!patterns_.empty() && patterns_.back().text == p.text) continue;  // first one wins
    first_byte_[static_cast<uint8_t>(p.text[0])] = true;
    patterns_.push_back(std::move(p));
  }
}

int AddedTokenMatcher::LongestMatchAt(std::string_view text, size_t pos) const {
  // Narrow the sorted range byte by byte: after d steps every pattern in
  // [lo, hi) starts with text[pos, pos + d); the shortest of them (if it has
  // exactly d bytes) sorts first.
  size_t lo = 0, hi = patterns_.size();
  int best = -1;
  for (size_t depth = 0;; ++depth) {
    while (lo < hi && patterns_[lo].text.size() == depth) best = static_cast<int>(lo++);
    if (lo >= hi || pos + depth >= text.size()) break;
    const char c = text[pos + depth];
    auto byte_at = [depth](const Pattern& p) { return static_cast<uint8_t>(p.text[depth]); };
    const uint8_t target = static_cast<uint8_t>(c);
    auto first = std::lower_bound(patterns_.begin() + lo, patterns_.begin() + hi, target,
                                  [&](const Pattern& p, uint8_t t) { return byte_at(p) < t; });
    auto last = std::upper_bound(first, patterns_.begin() + hi, target,
                                 [&](uint8_t t, const Pattern& p) { return t < byte_at(p); });
    lo = first - patterns_.begin();
    hi = last - patterns_.begin();
  }
  return best;
}

void AddedTokenMatcher::Split(std::string_view text, std::vector<TextSegment>* out) const {
  auto push = [out](size_t begin, size_t end, int32_t id) {
    if (end > begin) out->push_back(TextSegment{begin, end, id});
  };
  if (patterns_.empty()) {
    push(0, text.size(), -1);
    return;
  }
  size_t start_offset = 0;  // end of the last emitted piece
  size_t search = 0;        // where the next match may start (end of the last raw match)
  while (search < text.size()) {
    size_t pos = search;
    int match = -1;
    for (; pos < text.size(); ++pos) {
      if (!first_byte_[static_cast<uint8_t>(text[pos])]) continue;
      match = LongestMatchAt(text, pos);
      if (match >= 0) break;
    }
    if (match < 0) break;
    const AddedToken& token = patterns_[match].token;
    size_t start = pos;
    size_t stop = pos + patterns_[match].text.size();
    search = stop;

    if (token.single_word) {
      const bool space_before = start == 0 || !IsWordChar(CharBefore(text, start));
      const bool space_after = stop == text.size() || !IsWordChar(CharAt(text, stop));
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) start = std::max(TrailingSpaceStart(text, start), start_offset);
    if (token.rstrip) stop = LeadingSpaceEnd(text, stop);
    // tokenizers would panic on a range that ends before it starts (an lstrip
    // pushed past a previous rstrip); the piece is dropped instead.
    start = std::min(start, stop);
    if (start_offset < start) push(start_offset, start, -1);
    push(start, stop, token.id);
    start_offset = stop;
  }
  if (start_offset < text.size()) push(start_offset, text.size(), -1);
}

}  // namespace lateral::tok

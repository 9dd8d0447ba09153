#include "ingest/text/sentences.h"

#include <unicode/brkiter.h>
#include <unicode/unistr.h>
#include <unicode/uchar.h>
#include <unicode/udata.h>
#include <unicode/ures.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>

namespace lateral::ingest {
namespace {

// Languages whose ICU abbreviation lists ("Dr.", "z.B.", "Sr.", "M.", "т.е.") are merged: text is
// multilingual and the lists barely conflict. These are all the lists ICU 72 ships. ICU's own
// FilteredBreakIterator is not used: it matches an entry against the end of any word, so the
// Italian "on." suppressed the break after "noon." -- here an entry must be a whole
// whitespace-delimited token.
constexpr const char* kAbbreviationLocales[] = {"en", "de", "es", "fr", "it", "pt", "ru"};

// Entries that are also ordinary words ending many sentences of another language.
constexpr const char* kNotAbbreviations[] = {"on.", "am."};

void AddAbbreviations(const char* locale, std::unordered_set<std::string>* out) {
  UErrorCode status = U_ZERO_ERROR;
  UResourceBundle* bundle =
      ures_openDirect(U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "brkitr", locale, &status);
  UResourceBundle* exceptions = ures_getByKey(bundle, "exceptions", nullptr, &status);
  UResourceBundle* list = ures_getByKey(exceptions, "SentenceBreak", nullptr, &status);
  if (U_SUCCESS(status)) {
    const int32_t n = ures_getSize(list);
    for (int32_t i = 0; i < n; ++i) {
      UErrorCode s = U_ZERO_ERROR;
      int32_t length = 0;
      const UChar* str = ures_getStringByIndex(list, i, &length, &s);
      if (U_FAILURE(s)) continue;
      std::string utf8;
      icu::UnicodeString(str, length).toUTF8String(utf8);
      // Only the last token matters (see IsAbbreviationBreak); entries end with '.'.
      const size_t space = utf8.rfind(' ');
      if (space != std::string::npos) utf8 = utf8.substr(space + 1);
      if (utf8.size() >= 2 && utf8.back() == '.') out->insert(std::move(utf8));
    }
  }
  ures_close(list);
  ures_close(exceptions);
  ures_close(bundle);
}

const std::unordered_set<std::string>& Abbreviations() {
  static const auto* set = [] {
    auto* s = new std::unordered_set<std::string>;
    for (const char* locale : kAbbreviationLocales) AddAbbreviations(locale, s);
    for (const char* word : kNotAbbreviations) s->erase(word);
    return s;
  }();
  return *set;
}

// Whether ICU's break at the end of `sentence` (untrimmed, ending at the break) follows an
// abbreviation within its line, e.g. "I met Dr. " before "Smith".
bool IsAbbreviationBreak(std::string_view sentence) {
  size_t end = sentence.size();
  while (end > 0 && (sentence[end - 1] == ' ' || sentence[end - 1] == '\t')) --end;
  if (end == 0 || sentence[end - 1] != '.') return false;  // also: a line break ended it
  size_t begin = end - 1;
  while (begin > 0 && sentence[begin - 1] != ' ' && sentence[begin - 1] != '\t' &&
         sentence[begin - 1] != '\n' && sentence[begin - 1] != '(' && sentence[begin - 1] != '"') {
    --begin;
  }
  if (end - begin > 16) return false;
  return Abbreviations().count(std::string(sentence.substr(begin, end - begin))) > 0;
}

icu::BreakIterator* ThreadSentenceIterator() {
  thread_local std::unique_ptr<icu::BreakIterator> iterator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createSentenceInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) it.reset();
    return it;
  }();
  return iterator.get();
}

bool IsThaiOrLao(UChar32 c) { return c >= 0x0E00 && c <= 0x0EFF; }

// Whether the text holds any Thai or Lao (U+0E00..U+0EFF = E0 B8 80 .. E0 BB BF).
bool MayContainThaiOrLao(std::string_view s) {
  const char* p = s.data();
  const char* end = s.data() + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\xE0', end - p))) != nullptr) {
    if (p + 1 < end) {
      const auto b = static_cast<unsigned char>(p[1]);
      if (b >= 0xB8 && b <= 0xBB) return true;
    }
    ++p;
  }
  return false;
}

UChar32 DecodeAt(std::string_view s, size_t i, size_t* next) {
  int32_t pos = static_cast<int32_t>(0);
  UChar32 c;
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data() + i);
  const int32_t limit = static_cast<int32_t>(std::min<size_t>(s.size() - i, 4));
  U8_NEXT_OR_FFFD(bytes, pos, limit, c);
  *next = i + pos;
  return c;
}

// Appends `span` trimmed, split at whitespace runs between two Thai/Lao characters.
void AppendSplittingThai(std::string_view text, TextSpan span, bool has_thai,
                         std::vector<TextSpan>* out) {
  span = TrimWhitespace(text, span);
  if (span.begin == span.end) return;
  if (!has_thai) {
    out->push_back(span);
    return;
  }
  size_t start = span.begin;
  UChar32 last_non_space = 0;
  size_t i = span.begin;
  while (i < span.end) {
    size_t next;
    UChar32 c = DecodeAt(text, i, &next);
    if (u_isUWhiteSpace(c) && IsThaiOrLao(last_non_space)) {
      size_t run_end = next;
      UChar32 after = 0;
      while (run_end < span.end) {
        size_t n2;
        after = DecodeAt(text, run_end, &n2);
        if (!u_isUWhiteSpace(after)) break;
        run_end = n2;
      }
      if (run_end < span.end && IsThaiOrLao(after)) {
        out->push_back({start, i});
        start = run_end;
      }
      i = run_end;
      continue;
    }
    if (!u_isUWhiteSpace(c)) last_non_space = c;
    i = next;
  }
  out->push_back({start, span.end});
}

// ICU's UText indices are 32-bit: longer texts are processed in blocks cut after a line break.
constexpr size_t kMaxBlockBytes = size_t{1} << 30;

}  // namespace

TextSpan TrimWhitespace(std::string_view utf8, TextSpan span) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  size_t b = span.begin, e = span.end;
  while (b < e) {
    if (s[b] < 0x80) {
      if (s[b] == ' ' || (s[b] >= 0x09 && s[b] <= 0x0D)) {
        ++b;
        continue;
      }
      break;
    }
    size_t next;
    UChar32 c = DecodeAt(utf8, b, &next);
    if (!u_isUWhiteSpace(c)) break;
    b = next;
  }
  while (e > b) {
    if (s[e - 1] < 0x80) {
      if (s[e - 1] == ' ' || (s[e - 1] >= 0x09 && s[e - 1] <= 0x0D)) {
        --e;
        continue;
      }
      break;
    }
    size_t start = e - 1;
    while (start > b && (s[start] & 0xC0) == 0x80 && e - start < 4) --start;
    size_t next;
    UChar32 c = DecodeAt(utf8, start, &next);
    if (next != e || !u_isUWhiteSpace(c)) break;
    e = start;
  }
  return {b, e};
}

std::vector<TextSpan> SentenceSpans(std::string_view utf8) {
  std::vector<TextSpan> spans;
  if (utf8.empty()) return spans;
  const bool has_thai = MayContainThaiOrLao(utf8);
  icu::BreakIterator* iterator = ThreadSentenceIterator();
  size_t block_begin = 0;
  while (block_begin < utf8.size()) {
    size_t block_end = utf8.size();
    if (block_end - block_begin > kMaxBlockBytes) {
      block_end = block_begin + kMaxBlockBytes;
      const size_t newline = utf8.rfind('\n', block_end - 1);
      if (newline != std::string_view::npos && newline > block_begin) {
        block_end = newline + 1;
      } else {
        while ((static_cast<unsigned char>(utf8[block_end]) & 0xC0) == 0x80) --block_end;
      }
    }
    const std::string_view block = utf8.substr(block_begin, block_end - block_begin);
    UErrorCode status = U_ZERO_ERROR;
    UText text = UTEXT_INITIALIZER;
    utext_openUTF8(&text, block.data(), static_cast<int64_t>(block.size()), &status);
    if (iterator != nullptr && U_SUCCESS(status)) iterator->setText(&text, status);
    if (iterator == nullptr || U_FAILURE(status)) {
      // No ICU break data: fall back to lines, which still cover the text.
      size_t line_begin = 0;
      while (line_begin < block.size()) {
        size_t nl = block.find('\n', line_begin);
        size_t line_end = nl == std::string_view::npos ? block.size() : nl + 1;
        AppendSplittingThai(utf8, {block_begin + line_begin, block_begin + line_end}, has_thai,
                            &spans);
        line_begin = line_end;
      }
    } else {
      int32_t previous = 0;
      for (int32_t boundary = iterator->next(); boundary != icu::BreakIterator::DONE;
           boundary = iterator->next()) {
        if (static_cast<size_t>(boundary) < block.size() &&
            IsAbbreviationBreak(block.substr(previous, boundary - previous))) {
          continue;
        }
        AppendSplittingThai(utf8, {block_begin + previous, block_begin + boundary}, has_thai,
                            &spans);
        previous = boundary;
      }
      if (static_cast<size_t>(previous) < block.size()) {
        AppendSplittingThai(utf8, {block_begin + previous, block_end}, has_thai, &spans);
      }
      // Drop the iterator's reference to this block before the UText goes away.
      UText empty = UTEXT_INITIALIZER;
      UErrorCode s2 = U_ZERO_ERROR;
      utext_openUTF8(&empty, "", 0, &s2);
      iterator->setText(&empty, s2);
      utext_close(&empty);
    }
    utext_close(&text);
    block_begin = block_end;
  }
  return spans;
}

}  // namespace lateral::ingest

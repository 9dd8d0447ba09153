#include "ingest/text/chunker.h"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ingest/text/sentences.h"

namespace lateral::ingest {
namespace {

// A sentence, or a piece of an over-long one: the packing unit. Its text is trimmed.
struct Unit {
  size_t begin;
  size_t end;
  int tokens;              // count_tokens(text of the unit)
  bool preferred_start;    // starts a paragraph or a Markdown heading
};

// --- ApproximateTokenCount ---------------------------------------------------------------------

constexpr int kCodePointsPerWordPiece = 8;

enum CharClass : uint8_t { kSpace, kWord, kSymbol, kPerCharacter, kMark };

// ASCII classes, computed once.
struct AsciiTable {
  uint8_t cls[128];
  constexpr AsciiTable() : cls() {
    for (int c = 0; c < 128; ++c) {
      if (c <= 0x20 || c == 0x7F) {
        cls[c] = kSpace;
      } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        cls[c] = kWord;
      } else {
        cls[c] = kSymbol;
      }
    }
  }
};
constexpr AsciiTable kAscii;

bool IsPerCharacterScript(UChar32 c) {
  return (c >= 0x0E00 && c <= 0x0EFF) ||    // Thai, Lao
         (c >= 0x0F00 && c <= 0x0FFF) ||    // Tibetan
         (c >= 0x1000 && c <= 0x109F) ||    // Myanmar
         (c >= 0x1100 && c <= 0x11FF) ||    // Hangul Jamo
         (c >= 0x1780 && c <= 0x17FF) ||    // Khmer
         (c >= 0x2E80 && c <= 0x2FDF) ||    // CJK radicals
         (c >= 0x3040 && c <= 0x30FF) ||    // Hiragana, Katakana
         (c >= 0x3130 && c <= 0x318F) ||    // Hangul compatibility jamo
         (c >= 0x31F0 && c <= 0x31FF) ||    // Katakana extensions
         (c >= 0x3400 && c <= 0x4DBF) ||    // CJK extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK unified ideographs
         (c >= 0xAC00 && c <= 0xD7AF) ||    // Hangul syllables
         (c >= 0xF900 && c <= 0xFAFF) ||    // CJK compatibility ideographs
         (c >= 0xFF66 && c <= 0xFF9F) ||    // half-width Katakana
         (c >= 0x20000 && c <= 0x3FFFF);    // CJK extensions B..
}

CharClass ClassifyNonAscii(UChar32 c) {
  const int8_t type = u_charType(c);
  if (type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK || type == U_ENCLOSING_MARK) {
    return kMark;
  }
  if (IsPerCharacterScript(c)) return kPerCharacter;
  switch (type) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return kWord;
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return kSpace;
    default:
      return kSymbol;
  }
}

// --- helpers -----------------------------------------------------------------------------------

std::string_view Text(std::string_view utf8, size_t begin, size_t end) {
  return utf8.substr(begin, end - begin);
}

// Lines: 1 + the number of '\n' before a byte offset.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    const char* p = text.data();
    const char* end = text.data() + text.size();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
      newlines_.push_back(static_cast<size_t>(p - text.data()));
      ++p;
    }
  }
  int LineOf(size_t offset) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) -
                                newlines_.begin());
  }
  // Number of '\n' in [begin, end).
  size_t NewlinesIn(size_t begin, size_t end) const {
    return std::lower_bound(newlines_.begin(), newlines_.end(), end) -
           std::lower_bound(newlines_.begin(), newlines_.end(), begin);
  }

 private:
  std::vector<size_t> newlines_;
};

// "# Title" .. "###### Title": one to six '#' then a space, a tab or the end.
bool IsMarkdownHeading(std::string_view s) {
  size_t hashes = 0;
  while (hashes < s.size() && s[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return false;
  return hashes == s.size() || s[hashes] == ' ' || s[hashes] == '\t';
}

// Thread-local ICU iterators; creating one costs far more than reusing it.
icu::BreakIterator* ThreadIterator(bool words) {
  thread_local std::unique_ptr<icu::BreakIterator> word_iterator;
  thread_local std::unique_ptr<icu::BreakIterator> character_iterator;
  std::unique_ptr<icu::BreakIterator>& it = words ? word_iterator : character_iterator;
  if (it == nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    it.reset(words ? icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status)
                   : icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) it.reset();
  }
  return it.get();
}

// Boundaries of [begin, end) of `utf8` found by a word or grapheme iterator, begin and end
// included. Without ICU data, every code point boundary.
std::vector<size_t> Boundaries(std::string_view utf8, size_t begin, size_t end, bool words) {
  std::vector<size_t> result;
  icu::BreakIterator* it = ThreadIterator(words);
  UErrorCode status = U_ZERO_ERROR;
  UText text = UTEXT_INITIALIZER;
  const std::string_view piece = Text(utf8, begin, end);
  if (it != nullptr && piece.size() < (size_t{1} << 31)) {
    utext_openUTF8(&text, piece.data(), static_cast<int64_t>(piece.size()), &status);
    it->setText(&text, status);
  } else {
    status = U_UNSUPPORTED_ERROR;
  }
  if (U_SUCCESS(status)) {
    for (int32_t b = it->first(); b != icu::BreakIterator::DONE; b = it->next()) {
      result.push_back(begin + static_cast<size_t>(b));
    }
  } else {
    for (size_t i = begin; i < end; ++i) {
      if ((static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) result.push_back(i);
    }
  }
  utext_close(&text);
  if (result.empty() || result.front() != begin) result.insert(result.begin(), begin);
  if (result.back() != end) result.push_back(end);
  return result;
}

class Chunker {
 public:
  Chunker(std::string_view utf8, const ChunkOptions& options, const TokenCounter& count)
      : utf8_(utf8), options_(options), count_(count), lines_(utf8) {}

  absl::StatusOr<std::vector<Chunk>> Run() {
    std::vector<TextSpan> sentences = SentenceSpans(utf8_);
    for (size_t s = 0; s < sentences.size(); ++s) {
      const TextSpan span = sentences[s];
      const size_t gap_begin = s == 0 ? 0 : sentences[s - 1].end;
      const size_t newlines = lines_.NewlinesIn(gap_begin, span.begin);
      const bool starts_line = s == 0 || newlines > 0;
      const bool preferred = newlines >= 2 ||
                             (starts_line && IsMarkdownHeading(Text(utf8_, span.begin, span.end)));
      const int tokens = Count(span.begin, span.end);
      if (tokens <= options_.max_tokens) {
        units_.push_back({span.begin, span.end, tokens, preferred});
      } else {
        const size_t first_piece = units_.size();
        absl::Status status = SplitLong(span.begin, span.end, /*words=*/true);
        if (!status.ok()) return status;
        if (units_.size() > first_piece) units_[first_piece].preferred_start = preferred;
      }
    }
    return Pack();
  }

 private:
  int Count(size_t begin, size_t end) {
    return std::max(0, count_(Text(utf8_, begin, end)));
  }

  // Cuts [begin, end), which counts more than max_tokens, into units that fit: at word
  // boundaries, and a word that alone is too long at grapheme boundaries.
  absl::Status SplitLong(size_t begin, size_t end, bool words) {
    const std::vector<size_t> cuts = Boundaries(utf8_, begin, end, words);
    size_t index = 0;  // cuts[index] is where the next piece starts
    size_t guess = 1;  // how many cuts the previous piece spanned: a good first try
    while (index + 1 < cuts.size()) {
      const TextSpan start = TrimWhitespace(utf8_, {cuts[index], end});
      if (start.begin == start.end) break;
      while (index + 1 < cuts.size() && cuts[index + 1] <= start.begin) ++index;
      const size_t from = start.begin;
      // fits(k): the piece from `from` to cuts[index + k] (trimmed) fits; assumed monotone in k.
      auto fits = [&](size_t k) {
        const TextSpan piece = TrimWhitespace(utf8_, {from, cuts[index + k]});
        return Count(piece.begin, piece.end) <= options_.max_tokens;
      };
      const size_t available = cuts.size() - 1 - index;
      size_t good = 0, bad = available + 1;  // fits(good) (or good == 0), !fits(bad)
      size_t probe = std::min(guess, available);
      if (fits(probe)) {
        good = probe;
        while (good < available) {
          probe = std::min(available, good * 2);
          if (fits(probe)) {
            good = probe;
          } else {
            bad = probe;
            break;
          }
        }
      } else {
        bad = probe;
      }
      while (bad - good > 1) {
        const size_t mid = good + (bad - good) / 2;
        if (fits(mid)) {
          good = mid;
        } else {
          bad = mid;
        }
      }
      if (good == 0) {
        // One word (or grapheme) from `from` does not fit alone.
        const size_t word_end = cuts[index + 1];
        if (!words) {
          return absl::InvalidArgumentError(absl::StrCat(
              "one character (grapheme cluster) at byte ", from, ", line ", lines_.LineOf(from),
              " counts more than max_tokens = ", options_.max_tokens,
              " tokens by itself; raise ChunkOptions.max_tokens"));
        }
        absl::Status status = SplitLong(from, word_end, /*words=*/false);
        if (!status.ok()) return status;
        index += 1;
        continue;
      }
      const TextSpan piece = TrimWhitespace(utf8_, {from, cuts[index + good]});
      if (piece.begin < piece.end) {
        units_.push_back({piece.begin, piece.end, Count(piece.begin, piece.end), false});
      }
      index += good;
      guess = good;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Chunk>> Pack() {
    std::vector<Chunk> chunks;
    const int max = options_.max_tokens;
    size_t next = 0;                       // first unit not yet in any chunk
    size_t previous_first = 0, previous_end = 0;  // units of the previous chunk
    while (next < units_.size()) {
      // Overlap: trailing units of the previous chunk, never all of them.
      size_t first = next;
      int sum = 0;
      if (options_.overlap_tokens > 0 && !chunks.empty()) {
        size_t candidate = next;
        int estimate = 0;
        while (candidate - 1 > previous_first &&
               estimate + units_[candidate - 1].tokens <= options_.overlap_tokens) {
          --candidate;
          estimate += units_[candidate].tokens;
        }
        // Room for the first new unit; then the overlap's own text must fit overlap_tokens.
        while (candidate < next && estimate + units_[next].tokens > max) {
          estimate -= units_[candidate].tokens;
          ++candidate;
        }
        while (candidate < next) {
          estimate = Count(units_[candidate].begin, units_[previous_end - 1].end);
          if (estimate <= options_.overlap_tokens) break;
          ++candidate;
        }
        if (candidate < next) {
          first = candidate;
          sum = estimate;
        }
      }
      // Greedy packing of new units.
      size_t end = next;
      int refinements = 0;
      while (end < units_.size()) {
        const Unit& unit = units_[end];
        if (end > next && unit.preferred_start && 2 * sum >= max) break;
        const int estimate = sum + unit.tokens;
        if (estimate <= max || end == next) {
          sum = estimate;
          ++end;
          continue;
        }
        // The sum of parts may overstate the whole (counters need not be additive): ask the
        // counter a few times per chunk before giving up on the next unit.
        if (refinements < kMaxRefinements) {
          ++refinements;
          const int actual = Count(units_[first].begin, unit.end);
          if (actual <= max) {
            sum = actual;
            ++end;
            continue;
          }
        }
        break;
      }
      // Check the chunk's own text; shrink until it fits.
      int tokens = Count(units_[first].begin, units_[end - 1].end);
      while (tokens > max) {
        if (end - next > 1) {
          --end;
        } else if (first < next) {
          ++first;
        } else {
          return absl::InternalError(absl::StrCat(
              "token counter is not deterministic: the text at bytes [", units_[next].begin, ", ",
              units_[next].end, ") counted ", units_[next].tokens, " and then ", tokens));
        }
        tokens = Count(units_[first].begin, units_[end - 1].end);
      }
      Chunk chunk;
      chunk.byte_begin = units_[first].begin;
      chunk.byte_end = units_[end - 1].end;
      chunk.line_begin = lines_.LineOf(chunk.byte_begin);
      chunk.line_end = lines_.LineOf(chunk.byte_end - 1);
      chunk.num_tokens = tokens;
      chunks.push_back(chunk);
      previous_first = first;
      previous_end = end;
      next = end;
    }
    return chunks;
  }

  static constexpr int kMaxRefinements = 3;

  std::string_view utf8_;
  ChunkOptions options_;
  const TokenCounter& count_;
  LineIndex lines_;
  std::vector<Unit> units_;
};

}  // namespace

int ApproximateTokenCount(std::string_view utf8) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(utf8.size(), INT32_MAX));
  int64_t tokens = 0;
  int run = 0;  // code points in the current word run
  int32_t i = 0;
  while (i < n) {
    CharClass cls;
    if (s[i] < 0x80) {
      cls = static_cast<CharClass>(kAscii.cls[s[i]]);
      ++i;
    } else {
      UChar32 c;
      U8_NEXT_OR_FFFD(s, i, n, c);
      cls = ClassifyNonAscii(c);
    }
    switch (cls) {
      case kWord:
        if (run % kCodePointsPerWordPiece == 0) ++tokens;
        ++run;
        break;
      case kMark:
        break;  // part of the preceding letter
      case kSpace:
        run = 0;
        break;
      case kSymbol:
      case kPerCharacter:
        run = 0;
        ++tokens;
        break;
    }
  }
  return static_cast<int>(std::min<int64_t>(tokens, std::numeric_limits<int>::max()));
}

absl::StatusOr<std::vector<Chunk>> ChunkText(std::string_view utf8, const ChunkOptions& options,
                                             const TokenCounter& count_tokens) {
  if (options.max_tokens <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ChunkOptions.max_tokens must be > 0, got ", options.max_tokens));
  }
  if (options.overlap_tokens < 0 || options.overlap_tokens >= options.max_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ChunkOptions.overlap_tokens must be >= 0 and < max_tokens (", options.max_tokens,
        "), got ", options.overlap_tokens));
  }
  if (!count_tokens) return absl::InvalidArgumentError("ChunkText: no token counter given");
  return Chunker(utf8, options, count_tokens).Run();
}

}  // namespace lateral::ingest

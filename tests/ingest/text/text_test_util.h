// Shared helpers for the ingest/text tests: a multilingual sentence pool and whitespace checks
// written independently of the code under test (ICU's White_Space property, UTF-8 decoding).
#pragma once

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <string>
#include <string_view>
#include <vector>

namespace lateral::ingest::testing_util {

// Sentences that end with their script's terminator (or, for Thai, have no terminator and no
// inner space). None ends with an abbreviation.
struct PoolSentence {
  const char* text;
  bool thai;
};

inline const std::vector<PoolSentence>& SentencePool() {
  static const std::vector<PoolSentence> pool = {
      {"I met Dr. Smith at noon.", false},
      {"The results were clear!", false},
      {"Was it worth it?", false},
      {"Le café était fermé.", false},
      {"Die Straße war leer.", false},
      {"Москва - столица России.", false},
      {"今天天气很好。", false},
      {"你去哪里？", false},
      {"吾輩は猫である。", false},
      {"名前はまだ無い！", false},
      {"오늘은 날씨가 맑다.", false},
      {"यह पहला वाक्य है।", false},
      {"कल बारिश होगी।", false},
      {"كيف حالك؟", false},
      {"مرحبا بكم في البيت.", false},
      {"Η Αθήνα είναι όμορφη.", false},
      {"שלום עולם.", false},
      {"Great job 👍🏽 everyone!", false},
      {"Combining marks: cafe\xCC\x81 and \xE1\x84\x80\xE1\x85\xA1.", false},
      {"สวัสดีครับ", true},
      {"วันนี้อากาศดี", true},
      {"ฉันจะไปตลาด", true},
  };
  return pool;
}

// Whitespace between pool sentences.
inline const std::vector<std::string>& Separators() {
  static const std::vector<std::string> separators = {" ", "  ", "\n", "\t", "\xE3\x80\x80",
                                                       "\r\n", " \n "};
  return separators;
}

// Decodes the code point at `i` (U+FFFD for ill-formed input), setting *next after it.
inline UChar32 CodePointAt(std::string_view s, size_t i, size_t* next) {
  int32_t pos = static_cast<int32_t>(i);
  UChar32 c;
  U8_NEXT_OR_FFFD(reinterpret_cast<const uint8_t*>(s.data()), pos, static_cast<int32_t>(s.size()),
                  c);
  *next = static_cast<size_t>(pos);
  return c;
}

// For each byte: whether it belongs to a White_Space code point.
inline std::vector<bool> WhitespaceBytes(std::string_view s) {
  std::vector<bool> ws(s.size(), false);
  size_t i = 0;
  while (i < s.size()) {
    size_t next;
    const bool white = u_isUWhiteSpace(CodePointAt(s, i, &next));
    for (size_t k = i; k < next; ++k) ws[k] = white;
    i = next;
  }
  return ws;
}

inline bool IsContinuationByte(std::string_view s, size_t i) {
  return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
}

}  // namespace lateral::ingest::testing_util

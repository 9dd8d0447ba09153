// UTF-8 helpers for the tokenizer (internal to encoder/tokenizer/).
//
// Three jobs: finding the first invalid byte of input text (Encode rejects
// invalid UTF-8 and names the offset), walking code points of text already
// known to be valid, and turning decoded bytes back into text with invalid
// sequences replaced by U+FFFD exactly as Rust's String::from_utf8_lossy does
// (the Hugging Face decoders end with that call, so the batch and streaming
// decoders here must reproduce it byte for byte).
//
// The replacement rule is Unicode's "maximal subpart" practice: a lead byte
// followed by continuation bytes that are valid so far, but that does not
// complete a character, is replaced by one U+FFFD; a byte that cannot start a
// character is replaced by one U+FFFD on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lateral::tok {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// What the bytes at the start of a buffer hold.
enum class Utf8ScanKind {
  kValid,       // a complete character of `length` bytes
  kInvalid,     // `length` bytes (>= 1) form one maximal invalid subpart
  kIncomplete,  // the buffer ends inside a character whose `length` bytes are valid so far
};
struct Utf8Scan {
  Utf8ScanKind kind;
  int length;
};

// Classifies the bytes at p[0..n). REQUIRES: n >= 1.
Utf8Scan ScanUtf8(const uint8_t* p, size_t n);

// Offset of the first byte that is not part of a valid UTF-8 character, or
// nullopt when all of `text` is valid.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// Decodes the character at text[pos]. REQUIRES: `text` is valid UTF-8 and pos
// is the start of a character. Sets *length to its byte length.
inline int32_t DecodeUtf8At(std::string_view text, size_t pos, int* length) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  const uint8_t b0 = p[0];
  if (b0 < 0x80) {
    *length = 1;
    return b0;
  }
  if (b0 < 0xE0) {
    *length = 2;
    return ((b0 & 0x1F) << 6) | (p[1] & 0x3F);
  }
  if (b0 < 0xF0) {
    *length = 3;
    return ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  *length = 4;
  return ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

// Appends the UTF-8 encoding of `code_point` (a Unicode scalar value).
void AppendUtf8(int32_t code_point, std::string* out);

// Rust's String::from_utf8_lossy.
std::string Utf8Lossy(std::string_view bytes);

// The streaming form of Utf8Lossy: bytes arrive in pieces; Push returns the
// text that became final, holding back a trailing sequence that is valid so
// far but incomplete. The concatenation of all Push results and Finish equals
// Utf8Lossy of the concatenated input. Not thread-safe; one per stream.
class Utf8StreamAssembler {
 public:
  std::string Push(std::string_view bytes);
  // Flushes the held-back bytes (an incomplete sequence becomes one U+FFFD).
  std::string Finish();

 private:
  std::string pending_;  // at most 3 bytes: a valid prefix of one character
};

}  // namespace lateral::tok

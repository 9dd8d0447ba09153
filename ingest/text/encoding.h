// Bytes of a text file to UTF-8, and Unicode normalisation to NFC.
//
// DecodeToUtf8 is the one place where ingest turns file bytes into text; the format extractors
// (ingest/formats/) call it with the user's --encoding or an HTML <meta charset>, and everything
// downstream (sentences, chunks, BM25 analysis, the encoder) sees valid UTF-8 only.
//
// Guarantees:
//   - A byte-order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE) decides the encoding and is stripped,
//     whatever was declared: a BOM is stronger evidence than a label (browsers agree).
//   - A declared encoding is used as given (any ICU converter name or alias); an unknown name is an
//     InvalidArgument that names it and the source.
//   - Undeclared bytes that are valid UTF-8 (ASCII included) are taken as they are; otherwise ICU's
//     charset detector must be confident (kMinDetectionConfidence) or the call fails with a message
//     that tells the user to pass --encoding.
//   - Nothing is ever replaced silently: an invalid or unmappable byte sequence is an InvalidArgument
//     naming the source, the encoding, the byte offset in `bytes` and the 1-based line.
// Thread-safe: no shared mutable state.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral::ingest {

struct DecodedText {
  std::string utf8;      // the text, valid UTF-8, BOM removed
  std::string encoding;  // ICU's canonical name of the encoding used ("UTF-8", "Shift_JIS", ...)
  bool detected = false; // true when the encoding came from charset detection (not BOM/declared/UTF-8)
};

// Confidence (ICU's 0..100 scale) below which a detected encoding is refused. Chosen from ICU 72's
// scores on texts of 200-400 bytes (the samples of tests/ingest/text/encoding_test.cc): the
// multi-byte CJK encodings and BOM-less UTF-16 of Latin text score 100, Latin-1/Windows-1252 and
// Greek 70-96, Cyrillic single-byte code pages only 36-48 (ICU's Russian n-gram tables are
// small), while pseudo-random bytes score at most 10 (the UTF-16 recognisers' floor) and wrong
// guesses reach 30-48 only on snippets of ~20 bytes. A guess is also refused when its decoding
// contains control characters (C0 other than TAB/LF/VT/FF/CR, DEL, C1), which catches EBCDIC and
// Latin-1 misreadings; the next guess is then tried.
inline constexpr int kMinDetectionConfidence = 30;

// Decodes `bytes` to UTF-8. `declared_encoding` may be empty (then BOM, UTF-8 validity and detection
// decide). `source_name` (usually a path) prefixes every error message.
absl::StatusOr<DecodedText> DecodeToUtf8(std::string_view bytes, std::string_view declared_encoding,
                                         std::string_view source_name);

// Returns the byte offset of the first byte that makes `bytes` invalid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or bytes.size() when it is all valid.
size_t FirstInvalidUtf8Byte(std::string_view bytes);

// Unicode Normalization Form C of `utf8` (which must be valid UTF-8). Text that is already NFC --
// nearly all text, and all ASCII -- is returned unchanged after a quick check, without copying
// through UTF-16.
std::string ToNfc(std::string_view utf8);

}  // namespace lateral::ingest

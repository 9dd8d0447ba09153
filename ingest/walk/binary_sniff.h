// LooksBinary: decides from the first bytes of a file whether to treat it as binary (skipped
// by `lateral add` unless a format extractor claims it) or as text.
//
// The heuristic, in order:
//   1. empty -> text.
//   2. A UTF-32 BOM (FF FE 00 00 / 00 00 FE FF) -> text if the code units that follow are
//      valid scalar values (<= 0x10FFFF, not surrogates) and mostly not control characters.
//   3. A UTF-16 BOM (FF FE / FE FF) -> text if the code units form valid surrogate pairs and
//      mostly not control characters (the NUL high bytes of ASCII text do not count).
//   4. Otherwise (UTF-8 BOM or none): any NUL byte -> binary (what git and ripgrep check).
//   5. Else binary when more than 10% of the bytes are control bytes other than
//      \t \n \v \f \r, ESC (ANSI colours in logs) and backspace -- i.e. 0x00-0x07, 0x0E-0x1A,
//      0x1C-0x1F and 0x7F. Bytes >= 0x80 never count: Latin-1 and invalid UTF-8 are still text
//      (the encoding layer deals with them).
// "Mostly not control" in 2-3 uses the same 10% share. A head cut in the middle of a code unit
// or of a surrogate pair (the 8 KiB window) is not held against the file.
// Pure function, no state; called by the ingest pipeline on the first kSniffBytes of a file.
#pragma once

#include <cstddef>
#include <string_view>

namespace lateral::ingest {

inline constexpr size_t kSniffBytes = 8192;

bool LooksBinary(std::string_view head);

}  // namespace lateral::ingest

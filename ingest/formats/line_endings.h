// Internal to ingest/formats: newline normalisation shared by the extractors.
#pragma once

#include <string>
#include <string_view>

namespace lateral::ingest::formats_internal {

// CRLF and lone CR become LF, so that the number of lines is what an editor shows and line i of
// the result is line i of the input. Linear time.
std::string NormalizeNewlines(std::string_view text);

}  // namespace lateral::ingest::formats_internal

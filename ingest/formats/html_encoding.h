// Internal to ingest/formats: the encoding an HTML page declares about itself.
#pragma once

#include <string>
#include <string_view>

namespace lateral::ingest::formats_internal {

// The charset named by a <meta charset="..."> or <meta http-equiv="Content-Type"
// content="...; charset=..."> tag within the first 1024 bytes of `bytes`, else "". A declared
// UTF-16/UTF-32 (impossible in a page readable as ASCII) is reported as "UTF-8", as browsers do.
std::string SniffHtmlMetaCharset(std::string_view bytes);

}  // namespace lateral::ingest::formats_internal

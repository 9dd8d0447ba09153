// Internal to ingest/formats: Markdown inline markup to plain text, one line at a time.
//
// Removes emphasis/strikethrough delimiters that pair up, code-span backticks (the code stays,
// verbatim), link and image syntax (the link text / alt text stays), raw HTML tags and comments;
// keeps autolinks' URLs; decodes backslash escapes and common character references. Markup
// that does not pair up stays as written. Linear time in the line's length (no backtracking, no
// recursion), so a hostile 100 MB line costs one pass.
#pragma once

#include <string>
#include <string_view>

namespace lateral::ingest::formats_internal {

std::string CleanMarkdownInline(std::string_view line);

}  // namespace lateral::ingest::formats_internal

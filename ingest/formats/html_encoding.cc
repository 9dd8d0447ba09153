#include "ingest/formats/html_encoding.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace lateral::ingest::formats_internal {
namespace {

constexpr size_t kSniffBytes = 1024;

bool IsCharsetChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.' || c == ':';
}

// The value after "charset" at `pos` in `tag` ("charset = 'x'" or "charset=x;"), or "".
std::string CharsetValueAt(std::string_view tag, size_t pos) {
  size_t i = pos + 7;  // strlen("charset")
  while (i < tag.size() && absl::ascii_isspace(static_cast<unsigned char>(tag[i]))) ++i;
  if (i >= tag.size() || tag[i] != '=') return "";
  ++i;
  while (i < tag.size() && absl::ascii_isspace(static_cast<unsigned char>(tag[i]))) ++i;
  if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) ++i;
  size_t start = i;
  while (i < tag.size() && IsCharsetChar(tag[i])) ++i;
  return std::string(tag.substr(start, i - start));
}

}  // namespace

std::string SniffHtmlMetaCharset(std::string_view bytes) {
  std::string head = absl::AsciiStrToLower(
      absl::string_view(bytes.data(), std::min(bytes.size(), kSniffBytes)));
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    size_t end = head.find('>', pos);
    if (end == std::string::npos) end = head.size();
    std::string_view tag = std::string_view(head).substr(pos, end - pos);
    for (size_t at = tag.find("charset"); at != std::string_view::npos;
         at = tag.find("charset", at + 1)) {
      std::string value = CharsetValueAt(tag, at);
      if (value.empty()) continue;
      if (absl::StartsWith(value, "utf-16") || absl::StartsWith(value, "utf-32")) return "UTF-8";
      return value;
    }
    pos = end;
  }
  return "";
}

}  // namespace lateral::ingest::formats_internal

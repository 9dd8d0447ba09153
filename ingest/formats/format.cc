#include "ingest/formats/format.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lateral::ingest {
namespace {

struct NamedFormat {
  std::string_view name;
  Format format;
};

constexpr std::array<NamedFormat, 14> kExtensions = {{
    {"txt", Format::kText},       {"text", Format::kText},      {"log", Format::kText},
    {"rst", Format::kText},       {"md", Format::kMarkdown},    {"markdown", Format::kMarkdown},
    {"html", Format::kHtml},      {"htm", Format::kHtml},       {"xhtml", Format::kHtml},
    {"jsonl", Format::kJsonl},    {"ndjson", Format::kJsonl},   {"csv", Format::kCsv},
    {"tsv", Format::kCsv},        {"pdf", Format::kPdf},
}};

constexpr std::array<NamedFormat, 10> kNames = {{
    {"txt", Format::kText},
    {"text", Format::kText},
    {"md", Format::kMarkdown},
    {"markdown", Format::kMarkdown},
    {"html", Format::kHtml},
    {"jsonl", Format::kJsonl},
    {"ndjson", Format::kJsonl},
    {"csv", Format::kCsv},
    {"tsv", Format::kCsv},
    {"pdf", Format::kPdf},
}};

std::string_view BaseName(std::string_view path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Lower(std::string_view s) {
  return absl::AsciiStrToLower(absl::string_view(s.data(), s.size()));
}

}  // namespace

std::optional<Format> FormatFromPath(std::string_view path) {
  std::string_view base = BaseName(path);
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == base.size()) return std::nullopt;
  std::string extension = Lower(base.substr(dot + 1));
  for (const NamedFormat& entry : kExtensions) {
    if (entry.name == extension) return entry.format;
  }
  return std::nullopt;
}

absl::StatusOr<Format> ParseFormatName(std::string_view name) {
  std::string lower = Lower(name);
  for (const NamedFormat& entry : kNames) {
    if (entry.name == lower) return entry.format;
  }
  std::string valid;
  for (const NamedFormat& entry : kNames) {
    absl::StrAppend(&valid, valid.empty() ? "" : ", ", std::string(entry.name));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", std::string(name), "\"; expected one of: ", valid));
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kText: return "txt";
    case Format::kMarkdown: return "md";
    case Format::kHtml: return "html";
    case Format::kJsonl: return "jsonl";
    case Format::kCsv: return "csv";
    case Format::kPdf: return "pdf";
  }
  return "txt";
}

std::string FileStem(std::string_view source_name) {
  std::string_view base = BaseName(source_name);
  size_t dot = base.rfind('.');
  if (dot != std::string_view::npos && dot > 0) base = base.substr(0, dot);
  return std::string(base);
}

bool IsTsvName(std::string_view source_name) {
  return source_name.size() >= 4 && Lower(source_name.substr(source_name.size() - 4)) == ".tsv";
}

}  // namespace lateral::ingest

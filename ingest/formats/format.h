// The document formats ingest can read, and how a file's name selects one.
//
// Called by the walker/pipeline (a file's extension picks its extractor) and by the CLI
// (--format NAME overrides the extension). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral::ingest {

enum class Format { kText, kMarkdown, kHtml, kJsonl, kCsv, kPdf };

// The format a file extension implies, compared case-insensitively:
//   .txt .text .log .rst -> kText;  .md .markdown -> kMarkdown;  .html .htm .xhtml -> kHtml;
//   .jsonl .ndjson -> kJsonl;  .csv .tsv -> kCsv;  .pdf -> kPdf.
// nullopt for any other extension, or none.
std::optional<Format> FormatFromPath(std::string_view path);

// A format named on the command line: "txt", "text", "md", "markdown", "html", "jsonl",
// "ndjson", "csv", "tsv", "pdf" (case-insensitive). The error lists the valid names.
absl::StatusOr<Format> ParseFormatName(std::string_view name);

// The canonical short name: "txt", "md", "html", "jsonl", "csv", "pdf".
std::string_view FormatName(Format format);

// The last path component of `source_name` without its extension ("notes/a.b.md" -> "a.b"):
// the title of a document that names none.
std::string FileStem(std::string_view source_name);

// True when `source_name` ends in ".tsv" (any case): such files are tab-separated by default.
bool IsTsvName(std::string_view source_name);

}  // namespace lateral::ingest

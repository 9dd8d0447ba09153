#include "ingest/pipeline/passages.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lateral::ingest {
namespace {

constexpr std::array<std::string_view, 10> kReserved = {"path",     "title", "format", "doc",  "passage",
                                                        "line",     "line_end", "byte", "byte_end", "mtime"};

}  // namespace

bool IsReservedMetadataName(std::string_view name) {
  for (std::string_view r : kReserved) {
    if (r == name) return true;
  }
  return false;
}

absl::StatusOr<std::vector<DocumentRecord>> BuildPassages(Format format, std::string_view bytes,
                                                          const std::string& path, int64_t mtime_ns,
                                                          const PassageOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(std::vector<ExtractedDocument> documents,
                           ExtractDocuments(format, bytes, options.extract, path));
  std::vector<DocumentRecord> passages;
  for (const ExtractedDocument& document : documents) {
    for (const auto& [name, value] : document.metadata) {
      if (IsReservedMetadataName(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, document.key.empty() ? "" : absl::StrCat(" (record ", document.key, ")"), ": metadata field \"",
            name, "\" is a name lateral sets itself (path, title, format, doc, passage, line, line_end, byte, byte_end, mtime); "
                  "leave it out of --metadata-fields"));
      }
    }
    LATERAL_ASSIGN_OR_RETURN(std::vector<Chunk> chunks,
                             ChunkText(document.text, options.chunk, options.count_tokens));
    for (size_t n = 0; n < chunks.size(); ++n) {
      const Chunk& chunk = chunks[n];
      DocumentRecord record;
      record.external_id = document.key.empty() ? absl::StrCat(path, "#", n)
                                                : absl::StrCat(path, "#", document.key, "#", n);
      record.text = document.text.substr(chunk.byte_begin, chunk.byte_end - chunk.byte_begin);
      record.metadata = document.metadata;
      record.metadata["path"] = path;
      record.metadata["title"] = document.title;
      record.metadata["format"] = std::string(FormatName(format));
      record.metadata["doc"] = document.key;
      record.metadata["passage"] = static_cast<double>(n);
      if (document.source_lines) {
        record.metadata["line"] = static_cast<double>(document.first_line + chunk.line_begin - 1);
        record.metadata["line_end"] = static_cast<double>(document.first_line + chunk.line_end - 1);
      }
      record.metadata["byte"] = static_cast<double>(chunk.byte_begin);
      record.metadata["byte_end"] = static_cast<double>(chunk.byte_end);
      record.metadata["mtime"] = static_cast<double>(mtime_ns / 1'000'000'000);
      passages.push_back(std::move(record));
    }
  }
  return passages;
}

}  // namespace lateral::ingest

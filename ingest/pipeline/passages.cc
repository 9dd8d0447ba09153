#include "ingest/pipeline/passages.h"

#include <tbb/parallel_for.h>


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
  for (const ExtractedDocument& document : documents) {
    for (const auto& [name, value] : document.metadata) {
      if (IsReservedMetadataName(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, document.key.empty() ? "" : absl::StrCat(" (record ", document.key, ")"), ": metadata field \"",
            name, "\" is a name lateral sets itself (path, title, format, doc, passage, line, line_end, byte, byte_end, mtime); "
                  "leave it out of --metadata-fields"));
      }
    }
  }
  // Records of a JSON Lines or CSV file are chunked in parallel: counting
  // model tokens for every sentence is the costly part, and one such file
  // may be a whole collection.
  std::vector<std::vector<DocumentRecord>> per_document(documents.size());
  std::vector<absl::Status> errors(documents.size());
  tbb::parallel_for(size_t{0}, documents.size(), [&](size_t d) {
    const ExtractedDocument& document = documents[d];
    absl::StatusOr<std::vector<Chunk>> chunks = ChunkText(document.text, options.chunk, options.count_tokens);
    if (!chunks.ok()) {
      errors[d] = chunks.status();
      return;
    }
    for (size_t n = 0; n < chunks->size(); ++n) {
      const Chunk& chunk = (*chunks)[n];
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
      per_document[d].push_back(std::move(record));
    }
  });
  size_t total = 0;
  for (size_t d = 0; d < documents.size(); ++d) {
    LATERAL_RETURN_IF_ERROR(errors[d]);  // the first failing document, in file order
    total += per_document[d].size();
  }
  std::vector<DocumentRecord> passages;
  passages.reserve(total);
  for (std::vector<DocumentRecord>& records : per_document) {
    for (DocumentRecord& record : records) passages.push_back(std::move(record));
  }
  return passages;
}

}  // namespace lateral::ingest

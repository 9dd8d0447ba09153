// One source file's bytes to the passages lateral stores and searches.
//
// BuildPassages runs the format extractor (ingest/formats), then chunks every
// extracted document (ingest/text/chunker) into passages that fit the
// encoder's document length, and gives each passage its external id and
// metadata. It is a pure function of its inputs (no I/O), called from the
// ingest pipeline's parallel stage and from tests.
//
// Passage metadata (reserved names; a record field with one of these names is
// an error naming it):
//   path      the source path as given to BuildPassages
//   title     the document's title (file stem, first heading, <title>, ...)
//   format    txt | md | html | jsonl | csv | pdf
//   doc       the record's key within a JSON Lines / CSV file ("" otherwise)
//   passage   0-based index of the passage within its document
//   line, line_end   1-based source lines the passage spans (only where the
//             extracted text keeps the file's lines: txt, md, jsonl, csv)
//   byte, byte_end   the passage's byte range [byte, byte_end) in the
//             extracted document text (for a UTF-8, NFC, LF-terminated
//             .txt file: in the file itself)
//   mtime     the file's modification time, Unix seconds
// plus the metadata the extractor found (JSONL/CSV fields named on the
// command line, <html lang>, Markdown front matter, PDF page count).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/formats/extract.h"
#include "ingest/text/chunker.h"
#include "storage/collection_store.h"

namespace lateral::ingest {

struct PassageOptions {
  ExtractOptions extract;
  ChunkOptions chunk;
  TokenCounter count_tokens;  // the encoder's tokenizer, or ApproximateTokenCount
};

// Passage external ids are "<path>#<n>" for a file that is one document and
// "<path>#<key>#<n>" for records of a JSON Lines / CSV file, n counting the
// document's passages from 0.
absl::StatusOr<std::vector<DocumentRecord>> BuildPassages(Format format, std::string_view bytes,
                                                          const std::string& path, int64_t mtime_ns,
                                                          const PassageOptions& options);

// True for the metadata names BuildPassages sets itself.
bool IsReservedMetadataName(std::string_view name);

}  // namespace lateral::ingest

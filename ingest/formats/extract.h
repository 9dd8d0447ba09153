// Turns the bytes of one file into documents: plain text, Markdown, HTML, JSON Lines, CSV/TSV
// and PDF, each to UTF-8 in NFC.
//
// Called by the ingest pipeline once per file (and by the CLI's tests of single files). A file is
// one document (txt, md, html, pdf) or one document per record (jsonl, csv). Every text format is
// decoded by ingest/text/encoding.h (BOM, declared encoding, or detection), never guessed here.
// Errors are absl::Status values whose messages start with `source_name` and, for record formats,
// the 1-based line ("notes/a.csv:12: field \"text\" is missing"); nothing is replaced or dropped
// silently. Inputs are treated as hostile: every pass is linear in the input size, nesting is
// bounded, and inputs up to a few hundred megabytes are fine. Thread-safe (libxml2 and poppler
// are used with per-thread error handlers; see html.cc and pdf.cc).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/formats/format.h"
#include "storage/collection_store.h"  // MetadataValue

namespace lateral::ingest {

// Which fields of a JSON Lines record / CSV header hold what.
struct RecordFields {
  std::string text_field = "text";    // required in every record; must be a string
  std::string id_field = "id";        // optional; a string or an integer; unique within a file
  std::string title_field = "title";  // optional; a string
  // Fields copied into ExtractedDocument::metadata: strings and numbers as they are, booleans as
  // "true"/"false"; an array or object is an error. A listed field that a record lacks (or that
  // is null, or an empty CSV cell) is left out. "*" means every field other than the text, id
  // and title fields, skipping (not failing on) arrays and objects.
  std::vector<std::string> metadata_fields;
};

struct ExtractOptions {
  // The encoding of text formats (any ICU name). "" = BOM, then <meta charset> for HTML, then
  // UTF-8 if valid, then detection. Ignored for PDF.
  std::string encoding;
  RecordFields fields;
  // CSV field delimiter. 0 = '\t' when the source name ends in .tsv, ',' otherwise.
  char csv_delimiter = 0;
};

struct ExtractedDocument {
  // "" when the whole file is one document. For JSONL/CSV records: the id field's value, else
  // "line-N" (JSONL, N = the record's line) or "row-N" (CSV, N = 1-based data row).
  std::string key;
  std::string title;
  std::string text;  // UTF-8, NFC
  // Record formats: the fields RecordFields::metadata_fields selects. Markdown: the simple
  // `key: value` scalars of its front matter (numbers written plainly become numbers). HTML:
  // "lang" from <html lang>. PDF: "pages", the page count.
  std::map<std::string, MetadataValue> metadata;
  // The source line where `text` starts: 1 for whole files, the record's (first) line for
  // JSONL/CSV.
  int first_line = 1;
  // True when line i (1-based) of `text` is line first_line + i - 1 of the source file: txt and
  // Markdown (whose text keeps the file's lines, removed lines left empty; CRLF and lone CR
  // become LF), and JSONL/CSV records whose text is one line starting on first_line.
  // False for HTML and PDF and for multi-line record text.
  bool source_lines = true;
};

// Extracts the documents of one file. `source_name` (usually the path) names the file in errors,
// gives the title when the file has none (its stem), and selects TSV (".tsv") for kCsv.
absl::StatusOr<std::vector<ExtractedDocument>> ExtractDocuments(Format format,
                                                                 std::string_view bytes,
                                                                 const ExtractOptions& options,
                                                                 std::string_view source_name);

}  // namespace lateral::ingest

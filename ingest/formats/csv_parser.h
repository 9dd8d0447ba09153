// Internal to ingest/formats: an RFC 4180 record reader for CSV and TSV.
//
// Quoted fields may hold delimiters, newlines and "" (one quote). Blank lines are skipped.
// The text must have LF newlines only (NormalizeNewlines). In strict mode (CSV) anything but a
// delimiter or a newline after a closing quote, or a quote never closed, is an error naming the
// line. In lenient mode (TSV, where quotes are usually ordinary characters) such a field is read
// again as unquoted text, so `"Moby Dick" is a novel` stays what it says; the total re-reading is
// bounded so that hostile input stays linear.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral::ingest::formats_internal {

struct CsvRecord {
  std::vector<std::string> fields;
  std::vector<int> field_lines;  // the line on which each field starts
  int first_line = 0;            // the line on which the record starts (1-based)
  int last_line = 0;             // the line on which it ends
};

class CsvParser {
 public:
  CsvParser(std::string_view text, char delimiter, bool lenient_quotes,
            std::string_view source_name)
      : text_(text), delimiter_(delimiter), lenient_(lenient_quotes), source_(source_name) {}

  // Reads the next record into *record: true, or false at the end of the text.
  absl::StatusOr<bool> Next(CsvRecord* record);

 private:
  // Reads a quoted field starting at pos_ (on the opening quote). False when lenient mode must
  // re-read it unquoted.
  absl::StatusOr<bool> ReadQuoted(std::string* field);
  void ReadUnquoted(std::string* field);

  std::string_view text_;
  char delimiter_;
  bool lenient_;
  std::string source_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t rescanned_bytes_ = 0;  // lenient mode: bytes read by quoted attempts that failed
};

}  // namespace lateral::ingest::formats_internal

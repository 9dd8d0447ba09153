// Internal to ingest/formats: the field rules shared by the record formats (JSON Lines, CSV) and
// by Markdown front matter -- which fields become metadata, unique keys, number-looking values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ingest/formats/extract.h"

namespace lateral::ingest::formats_internal {

// True when `name` was listed in fields.metadata_fields by name.
bool IsListedMetadata(const RecordFields& fields, std::string_view name);

// True when `name` is covered by "*": listed as "*" and not the text, id or title field.
bool IsWildcardMetadata(const RecordFields& fields, std::string_view name);

// A decimal number written plainly ("12", "-3.5", "1e6", not "007", "0x1F", " 1", "inf"):
// the value, else nullopt. Used where a text value may stand for a number (CSV cells, front
// matter); leading zeros stay text because they are usually codes (zip codes, ids).
std::optional<double> ParsePlainNumber(std::string_view text);

// The keys of one file's records, to refuse duplicates. Errors read
// "<source>:<line>: duplicate id \"K\" (first on line M)".
class RecordKeys {
 public:
  explicit RecordKeys(std::string_view source_name) : source_name_(source_name) {}
  absl::Status Add(const std::string& key, int line);

 private:
  std::string source_name_;
  absl::flat_hash_map<std::string, int> first_line_;
};

}  // namespace lateral::ingest::formats_internal

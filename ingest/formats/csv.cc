// CSV and TSV: the first row names the columns; every other row is one document.
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ingest/formats/csv_parser.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/line_endings.h"
#include "ingest/formats/record_fields.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {
namespace {

constexpr int kNoColumn = -1;

std::string ListColumns(const std::vector<std::string>& header) {
  std::string out;
  constexpr size_t kMaxListed = 20;
  for (size_t i = 0; i < header.size() && i < kMaxListed; ++i) {
    absl::StrAppend(&out, i ? ", " : "", "\"", header[i], "\"");
  }
  if (header.size() > kMaxListed) absl::StrAppend(&out, ", ...");
  return out;
}

}  // namespace

Documents ExtractCsv(std::string_view bytes, const ExtractOptions& options,
                     std::string_view source_name) {
  LATERAL_ASSIGN_OR_RETURN(DecodedText decoded,
                           DecodeToUtf8(bytes, options.encoding, source_name));
  const std::string text = NormalizeNewlines(decoded.utf8);
  const bool tsv = IsTsvName(source_name);
  const char delimiter = options.csv_delimiter != 0 ? options.csv_delimiter : (tsv ? '\t' : ',');
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": a quote or newline cannot be the CSV delimiter"));
  }
  CsvParser parser(text, delimiter, /*lenient_quotes=*/delimiter == '\t', source_name);
  const RecordFields& fields = options.fields;
  std::vector<ExtractedDocument> docs;

  CsvRecord header;
  LATERAL_ASSIGN_OR_RETURN(bool has_header, parser.Next(&header));
  if (!has_header) return docs;
  absl::flat_hash_map<std::string, int> column_of;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    if (!column_of.emplace(header.fields[i], static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(source_name), ":", header.first_line,
                                                     ": column \"", header.fields[i],
                                                     "\" appears twice in the header"));
    }
  }
  auto column = [&](const std::string& name) {
    auto it = column_of.find(name);
    return it == column_of.end() ? kNoColumn : it->second;
  };
  const int text_column = column(fields.text_field);
  const int id_column = column(fields.id_field);
  const int title_column = column(fields.title_field);
  if (text_column == kNoColumn) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source_name), ":", header.first_line, ": field \"", fields.text_field,
        "\" is missing: no such column in the header (columns: ", ListColumns(header.fields), ")"));
  }
  std::vector<bool> is_metadata(header.fields.size());
  for (size_t i = 0; i < header.fields.size(); ++i) {
    is_metadata[i] = IsListedMetadata(fields, header.fields[i]) ||
                     IsWildcardMetadata(fields, header.fields[i]);
  }

  RecordKeys keys(source_name);
  CsvRecord row;
  int row_number = 0;
  while (true) {
    LATERAL_ASSIGN_OR_RETURN(bool more, parser.Next(&row));
    if (!more) break;
    ++row_number;
    if (row.fields.size() != header.fields.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(source_name), ":", row.first_line, ": row has ", row.fields.size(), " field",
          row.fields.size() == 1 ? "" : "s", "; the header has ", header.fields.size()));
    }
    ExtractedDocument doc;
    doc.first_line = row.first_line;
    doc.text = ToNfc(row.fields[text_column]);
    doc.source_lines = row.field_lines[text_column] == row.first_line &&
                       doc.text.find('\n') == std::string::npos;
    if (id_column != kNoColumn && !row.fields[id_column].empty()) {
      doc.key = row.fields[id_column];
    } else {
      doc.key = absl::StrCat("row-", row_number);
    }
    LATERAL_RETURN_IF_ERROR(keys.Add(doc.key, row.first_line));
    if (title_column != kNoColumn) doc.title = ToNfc(row.fields[title_column]);
    for (size_t i = 0; i < row.fields.size(); ++i) {
      if (!is_metadata[i] || row.fields[i].empty()) continue;
      std::optional<double> number = ParsePlainNumber(row.fields[i]);
      if (number.has_value()) {
        doc.metadata[header.fields[i]] = *number;
      } else {
        doc.metadata[header.fields[i]] = ToNfc(row.fields[i]);
      }
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace lateral::ingest::formats_internal

#include "ingest/formats/record_fields.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lateral::ingest::formats_internal {

bool IsListedMetadata(const RecordFields& fields, std::string_view name) {
  for (const std::string& listed : fields.metadata_fields) {
    if (listed == name) return true;
  }
  return false;
}

bool IsWildcardMetadata(const RecordFields& fields, std::string_view name) {
  if (name == fields.text_field || name == fields.id_field || name == fields.title_field) {
    return false;
  }
  return IsListedMetadata(fields, "*");
}

std::optional<double> ParsePlainNumber(std::string_view text) {
  // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  size_t i = 0;
  const size_t n = text.size();
  auto digits = [&]() {
    size_t start = i;
    while (i < n && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < n && text[i] == '-') ++i;
  if (i >= n) return std::nullopt;
  if (text[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return std::nullopt;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != n || n > 64) return std::nullopt;
  double value = 0;
  if (!absl::SimpleAtod(absl::string_view(text.data(), text.size()), &value) ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

absl::Status RecordKeys::Add(const std::string& key, int line) {
  auto [it, inserted] = first_line_.emplace(key, line);
  if (inserted) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(source_name_, ":", line, ": duplicate id \"", key,
                                                 "\" (first on line ", it->second, ")"));
}

}  // namespace lateral::ingest::formats_internal

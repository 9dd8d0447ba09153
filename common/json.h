// JSON parsing with errors as values.
//
// Wraps nlohmann::json (Debian's nlohmann-json3-dev: header-only, exact number
// round-trips, full UTF-8 validation; writing our own parser would buy nothing).
// nlohmann reports type mismatches by throwing, so code outside this file reads
// fields only through the typed accessors below, which never throw and whose
// errors name the source file and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include <nlohmann/json.hpp>

namespace lateral {

using Json = nlohmann::json;

// Parses `text`; `source` (usually a file path) prefixes every error.
absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view source);

// Reads and parses a file.
absl::StatusOr<Json> ReadJsonFile(const std::string& path);

// Typed access to one field of a JSON object. `source` names the file in errors.
// Get* fail when the field is missing or of the wrong type; GetOptional* return
// nullopt when it is missing or null and fail only on a wrong type.
class JsonObjectReader {
 public:
  JsonObjectReader(const Json& object, std::string source)
      : object_(object), source_(std::move(source)) {}

  bool Has(absl::string_view field) const;

  absl::StatusOr<int64_t> GetInt(absl::string_view field) const;
  absl::StatusOr<double> GetDouble(absl::string_view field) const;
  absl::StatusOr<bool> GetBool(absl::string_view field) const;
  absl::StatusOr<std::string> GetString(absl::string_view field) const;

  absl::StatusOr<std::optional<int64_t>> GetOptionalInt(absl::string_view field) const;
  absl::StatusOr<std::optional<double>> GetOptionalDouble(absl::string_view field) const;
  absl::StatusOr<std::optional<bool>> GetOptionalBool(absl::string_view field) const;
  absl::StatusOr<std::optional<std::string>> GetOptionalString(absl::string_view field) const;
  absl::StatusOr<std::optional<std::vector<int64_t>>> GetOptionalIntArray(
      absl::string_view field) const;
  absl::StatusOr<std::optional<std::vector<std::string>>> GetOptionalStringArray(
      absl::string_view field) const;
  // A nested object, or nullptr when the field is missing or null.
  absl::StatusOr<const Json*> GetOptionalObject(absl::string_view field) const;

  const std::string& source() const { return source_; }
  const Json& object() const { return object_; }

 private:
  const Json* Find(absl::string_view field) const;
  absl::Status TypeError(absl::string_view field, absl::string_view expected) const;

  const Json& object_;
  std::string source_;
};

}  // namespace lateral

#include "common/json.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"

namespace lateral {

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view source) {
  // Parse without exceptions first to get a discard flag; on failure, parse again
  // with a throwing callback-free call only to get a position for the message.
  Json value = Json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                           /*allow_exceptions=*/false, /*ignore_comments=*/false);
  if (value.is_discarded()) {
    std::string detail = "invalid JSON";
    try {
      Json ignored = Json::parse(text.begin(), text.end());
      (void)ignored;
    } catch (const Json::exception& e) {
      detail = e.what();
    }
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", detail));
  }
  return value;
}

absl::StatusOr<Json> ReadJsonFile(const std::string& path) {
  LATERAL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseJson(text, path);
}

bool JsonObjectReader::Has(absl::string_view field) const {
  const Json* v = Find(field);
  return v != nullptr && !v->is_null();
}

const Json* JsonObjectReader::Find(absl::string_view field) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(field));
  if (it == object_.end()) return nullptr;
  return &*it;
}

absl::Status JsonObjectReader::TypeError(absl::string_view field,
                                         absl::string_view expected) const {
  const Json* v = Find(field);
  return absl::InvalidArgumentError(absl::StrCat(source_, ": field \"", field, "\" must be ",
                                                 expected, ", found ",
                                                 v ? v->type_name() : "nothing"));
}


// Integers may arrive as 12 or 12.0; both are accepted when exact.
namespace {
bool IsIntegral(const Json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15;
  }
  return false;
}
int64_t AsInt(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_number_integer()) return v.get<int64_t>();
  return static_cast<int64_t>(v.get<double>());
}
}  // namespace

absl::StatusOr<std::optional<int64_t>> JsonObjectReader::GetOptionalInt(
    absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!IsIntegral(*v)) return TypeError(field, "an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return TypeError(field, "an integer that fits in 64 bits");
  }
  return AsInt(*v);
}

absl::StatusOr<std::optional<double>> JsonObjectReader::GetOptionalDouble(
    absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_number()) return TypeError(field, "a number");
  return v->get<double>();
}

absl::StatusOr<std::optional<bool>> JsonObjectReader::GetOptionalBool(
    absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_boolean()) return TypeError(field, "true or false");
  return v->get<bool>();
}

absl::StatusOr<std::optional<std::string>> JsonObjectReader::GetOptionalString(
    absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) return TypeError(field, "a string");
  return v->get<std::string>();
}

absl::StatusOr<std::optional<std::vector<int64_t>>> JsonObjectReader::GetOptionalIntArray(
    absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_array()) return TypeError(field, "an array of integers");
  std::vector<int64_t> out;
  out.reserve(v->size());
  for (const Json& item : *v) {
    if (!IsIntegral(item)) return TypeError(field, "an array of integers");
    out.push_back(AsInt(item));
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<std::string>>>
JsonObjectReader::GetOptionalStringArray(absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_array()) return TypeError(field, "an array of strings");
  std::vector<std::string> out;
  out.reserve(v->size());
  for (const Json& item : *v) {
    if (!item.is_string()) return TypeError(field, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<const Json*> JsonObjectReader::GetOptionalObject(absl::string_view field) const {
  const Json* v = Find(field);
  if (v == nullptr || v->is_null()) return nullptr;
  if (!v->is_object()) return TypeError(field, "an object");
  return v;
}

namespace {
template <typename T>
absl::StatusOr<T> RequireValue(absl::StatusOr<std::optional<T>> value, const std::string& source,
                               absl::string_view field) {
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": missing required field \"", field, "\""));
  }
  return **value;
}
}  // namespace

absl::StatusOr<int64_t> JsonObjectReader::GetInt(absl::string_view field) const {
  return RequireValue(GetOptionalInt(field), source_, field);
}
absl::StatusOr<double> JsonObjectReader::GetDouble(absl::string_view field) const {
  return RequireValue(GetOptionalDouble(field), source_, field);
}
absl::StatusOr<bool> JsonObjectReader::GetBool(absl::string_view field) const {
  return RequireValue(GetOptionalBool(field), source_, field);
}
absl::StatusOr<std::string> JsonObjectReader::GetString(absl::string_view field) const {
  return RequireValue(GetOptionalString(field), source_, field);
}

}  // namespace lateral

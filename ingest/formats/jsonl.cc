// JSON Lines: one object per non-blank line; see RecordFields for the field rules.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "ingest/formats/extractors.h"
#include "ingest/formats/record_fields.h"
#include "ingest/text/encoding.h"

namespace lateral::ingest::formats_internal {
namespace {

// Deeper records are refused before parsing: nlohmann builds one node per level, so a line of
// a few megabytes of '[' would otherwise cost gigabytes.
constexpr int kMaxJsonDepth = 64;

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// The deepest nesting of arrays/objects in `line`, not counting brackets inside strings.
int NestingDepth(std::string_view line) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

class JsonlReader {
 public:
  JsonlReader(const ExtractOptions& options, std::string_view source_name)
      : fields_(options.fields), source_(source_name), keys_(source_name) {}

  absl::Status AddLine(std::string_view line, int line_number,
                       std::vector<ExtractedDocument>* docs) {
    std::string where = absl::StrCat(source_, ":", line_number);
    if (NestingDepth(line) > kMaxJsonDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": JSON nested deeper than ", kMaxJsonDepth, " levels"));
    }
    LATERAL_ASSIGN_OR_RETURN(Json record,
                             ParseJson(absl::string_view(line.data(), line.size()), where));
    if (!record.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a JSON object, found ", record.type_name()));
    }
    ExtractedDocument doc;
    doc.first_line = line_number;

    auto text = record.find(fields_.text_field);
    if (text == record.end()) return FieldError(where, fields_.text_field, "is missing");
    if (!text->is_string()) {
      return FieldError(where, fields_.text_field,
                        absl::StrCat("is not a string (found ", text->type_name(), ")"));
    }
    doc.text = ToNfc(text->get_ref<const std::string&>());
    doc.source_lines = doc.text.find('\n') == std::string::npos;

    auto id = record.find(fields_.id_field);
    if (id != record.end() && !id->is_null()) {
      if (id->is_string()) {
        doc.key = id->get<std::string>();
        if (doc.key.empty()) return FieldError(where, fields_.id_field, "is empty");
      } else if (id->is_number_unsigned()) {
        doc.key = absl::StrCat(id->get<uint64_t>());
      } else if (id->is_number_integer()) {
        doc.key = absl::StrCat(id->get<int64_t>());
      } else {
        return FieldError(where, fields_.id_field,
                          absl::StrCat("must be a string or an integer (found ", id->type_name(),
                                       ")"));
      }
    } else {
      doc.key = absl::StrCat("line-", line_number);
    }
    LATERAL_RETURN_IF_ERROR(keys_.Add(doc.key, line_number));

    auto title = record.find(fields_.title_field);
    if (title != record.end() && !title->is_null()) {
      if (!title->is_string()) {
        return FieldError(where, fields_.title_field,
                          absl::StrCat("is not a string (found ", title->type_name(), ")"));
      }
      doc.title = ToNfc(title->get_ref<const std::string&>());
    }

    if (!fields_.metadata_fields.empty()) {
      for (auto it = record.begin(); it != record.end(); ++it) {
        const std::string& name = it.key();
        bool listed = IsListedMetadata(fields_, name);
        if (!listed && !IsWildcardMetadata(fields_, name)) continue;
        const Json& value = it.value();
        if (value.is_null()) continue;
        if (value.is_string()) {
          doc.metadata[name] = ToNfc(value.get_ref<const std::string&>());
        } else if (value.is_boolean()) {
          doc.metadata[name] = std::string(value.get<bool>() ? "true" : "false");
        } else if (value.is_number()) {
          doc.metadata[name] = value.get<double>();
        } else if (listed) {
          return FieldError(where, name,
                            absl::StrCat("is an ", value.type_name(),
                                         "; metadata must be a string, number or boolean"));
        }
      }
    }
    docs->push_back(std::move(doc));
    return absl::OkStatus();
  }

 private:
  static absl::Status FieldError(const std::string& where, std::string_view field,
                                 std::string_view problem) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": field \"", std::string(field), "\" ", std::string(problem)));
  }

  const RecordFields& fields_;
  std::string source_;
  RecordKeys keys_;
};

}  // namespace

Documents ExtractJsonl(std::string_view bytes, const ExtractOptions& options,
                       std::string_view source_name) {
  LATERAL_ASSIGN_OR_RETURN(DecodedText decoded,
                           DecodeToUtf8(bytes, options.encoding, source_name));
  std::string_view text = decoded.utf8;
  JsonlReader reader(options, source_name);
  std::vector<ExtractedDocument> docs;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    ++line_number;
    if (!IsBlank(line)) LATERAL_RETURN_IF_ERROR(reader.AddLine(line, line_number, &docs));
    start = end + 1;
  }
  return docs;
}

}  // namespace lateral::ingest::formats_internal

#include "encoder/tokenizer/tokenizer_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral::tok {
namespace {

absl::StatusOr<std::optional<std::string>> ReadTokenName(const Json& config,
                                                         std::string_view source,
                                                         const char* field) {
  auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return absl::InvalidArgumentError(
      Cat(source, ": field \"", field,
                   "\" must be a string or an object with a string \"content\", found ",
                   it->type_name()));
}

}  // namespace

absl::StatusOr<TokenizerConfig> ParseTokenizerConfig(std::string_view json_text,
                                                     std::string_view source) {
  LATERAL_ASSIGN_OR_RETURN(Json config, ParseJson(ToAbsl(json_text), ToAbsl(source)));
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        Cat(source, ": must hold a JSON object, found ", config.type_name()));
  }
  TokenizerConfig result;
  LATERAL_ASSIGN_OR_RETURN(result.bos_token, ReadTokenName(config, source, "bos_token"));
  LATERAL_ASSIGN_OR_RETURN(result.eos_token, ReadTokenName(config, source, "eos_token"));
  LATERAL_ASSIGN_OR_RETURN(result.pad_token, ReadTokenName(config, source, "pad_token"));
  LATERAL_ASSIGN_OR_RETURN(result.unk_token, ReadTokenName(config, source, "unk_token"));
  JsonObjectReader reader(config, std::string(source));
  LATERAL_ASSIGN_OR_RETURN(result.add_bos_token, reader.GetOptionalBool("add_bos_token"));
  LATERAL_ASSIGN_OR_RETURN(result.add_eos_token, reader.GetOptionalBool("add_eos_token"));
  return result;
}

absl::StatusOr<TokenizerConfig> ReadTokenizerConfig(const std::string& path) {
  if (path.empty()) return TokenizerConfig();
  LATERAL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseTokenizerConfig(text, path);
}

}  // namespace lateral::tok

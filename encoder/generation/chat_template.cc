#include "encoder/generation/chat_template.h"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "encoder/generation/jinja/interpreter.h"
#include "encoder/generation/jinja/parser.h"

namespace lateral {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return buffer.str();
}

// A special token in tokenizer_config.json: "text" or {"content": "text", ...}.
absl::StatusOr<std::string> TokenString(const Json& config, const std::string& path, const char* field) {
  auto it = config.find(field);
  if (it == config.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto content = it->find("content");
    if (content != it->end() && content->is_string()) return content->get<std::string>();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": field \"", field, "\" must be a string or an object with a string \"content\""));
}

}  // namespace

absl::StatusOr<ChatTemplate> ChatTemplate::FromSource(std::string source, std::string origin,
                                                      std::string bos_token, std::string eos_token) {
  LATERAL_ASSIGN_OR_RETURN(std::shared_ptr<const jinja::Template> tmpl, jinja::Parse(source, origin));
  LATERAL_RETURN_IF_ERROR(jinja::Validate(*tmpl));
  ChatTemplate t;
  t.origin_ = std::move(origin);
  t.bos_token_ = std::move(bos_token);
  t.eos_token_ = std::move(eos_token);
  t.tmpl_ = std::move(tmpl);
  return t;
}

absl::StatusOr<ChatTemplate> ChatTemplate::FromModelDirectory(const std::string& dir) {
  const std::string config_path = absl::StrCat(dir, "/tokenizer_config.json");
  std::string bos;
  std::string eos;
  std::optional<Json> config;
  if (FileExists(config_path)) {
    LATERAL_ASSIGN_OR_RETURN(Json parsed, ReadJsonFile(config_path));
    if (!parsed.is_object()) return absl::InvalidArgumentError(absl::StrCat(config_path, ": not a JSON object"));
    LATERAL_ASSIGN_OR_RETURN(bos, TokenString(parsed, config_path, "bos_token"));
    LATERAL_ASSIGN_OR_RETURN(eos, TokenString(parsed, config_path, "eos_token"));
    config = std::move(parsed);
  }

  const std::string jinja_path = absl::StrCat(dir, "/chat_template.jinja");
  if (FileExists(jinja_path)) {
    LATERAL_ASSIGN_OR_RETURN(std::string source, ReadText(jinja_path));
    return FromSource(std::move(source), jinja_path, bos, eos);
  }
  const std::string json_path = absl::StrCat(dir, "/chat_template.json");
  if (FileExists(json_path)) {
    LATERAL_ASSIGN_OR_RETURN(Json parsed, ReadJsonFile(json_path));
    JsonObjectReader reader(parsed, json_path);
    LATERAL_ASSIGN_OR_RETURN(std::string source, reader.GetString("chat_template"));
    return FromSource(std::move(source), absl::StrCat(json_path, " chat_template"), bos, eos);
  }
  if (config.has_value()) {
    auto it = config->find("chat_template");
    if (it != config->end() && !it->is_null()) {
      const std::string origin = absl::StrCat(config_path, " chat_template");
      if (it->is_string()) return FromSource(it->get<std::string>(), origin, bos, eos);
      if (it->is_array()) {
        for (size_t i = 0; i < it->size(); ++i) {
          const Json& entry = (*it)[i];
          if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
              !entry.contains("template") || !entry["template"].is_string()) {
            return absl::InvalidArgumentError(absl::StrCat(
                config_path, ": field \"chat_template\" entry ", i,
                " must be an object with string \"name\" and \"template\""));
          }
          if (entry["name"].get<std::string>() == "default") {
            return FromSource(entry["template"].get<std::string>(), absl::StrCat(origin, " \"default\""), bos, eos);
          }
        }
        return absl::NotFoundError(
            absl::StrCat(config_path, ": field \"chat_template\" lists no template named \"default\""));
      }
      return absl::InvalidArgumentError(
          absl::StrCat(config_path, ": field \"chat_template\" must be a string or a list of named templates"));
    }
  }
  return absl::NotFoundError(absl::StrCat(
      dir, ": the model ships no chat template (no chat_template.jinja, chat_template.json or "
           "\"chat_template\" in tokenizer_config.json)"));
}

ChatTemplate ChatTemplate::Lfm2Native() {
  ChatTemplate t;
  t.origin_ = "LFM2 native chat format";
  t.bos_token_ = "<|startoftext|>";
  t.eos_token_ = "<|im_end|>";
  return t;
}

absl::StatusOr<std::string> ChatTemplate::Render(absl::Span<const ChatMessage> messages,
                                                 bool add_generation_prompt) const {
  if (tmpl_ == nullptr) {
    std::string out = bos_token_;
    size_t first = 0;
    if (!messages.empty() && messages[0].role == "system") {
      if (!messages[0].content.empty()) {
        absl::StrAppend(&out, "<|im_start|>system\n", messages[0].content, "<|im_end|>\n");
      }
      first = 1;
    }
    for (size_t i = first; i < messages.size(); ++i) {
      const ChatMessage& m = messages[i];
      absl::StrAppend(&out, "<|im_start|>", m.role, "\n");
      if (m.role == "tool") {
        absl::StrAppend(&out, "<|tool_response_start|>", m.content, "<|tool_response_end|>");
      } else {
        out += m.content;
      }
      out += "<|im_end|>\n";
    }
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  jinja::ValueList list;
  for (const ChatMessage& m : messages) {
    list.push_back(jinja::Value::Dict({{jinja::Value::String("role"), jinja::Value::String(m.role)},
                                       {jinja::Value::String("content"), jinja::Value::String(m.content)}}));
  }
  jinja::Variables variables = {
      {"messages", jinja::Value::List(std::move(list))},
      {"add_generation_prompt", jinja::Value::Bool(add_generation_prompt)},
      {"bos_token", jinja::Value::String(bos_token_)},
      {"eos_token", jinja::Value::String(eos_token_)},
      {"tools", jinja::Value::None()},
      {"documents", jinja::Value::None()},
  };
  return jinja::Render(*tmpl_, variables);
}

}  // namespace lateral

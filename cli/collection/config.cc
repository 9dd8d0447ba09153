#include "cli/collection/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/utf8.h"

namespace lateral::cli {
namespace {

enum class Kind { kString, kInt, kDouble, kBool, kStringArray };

// The schema: every key a config file may set, and its type.
const std::map<std::string, Kind>& Schema() {
  static const auto* schema = new std::map<std::string, Kind>{
      {"model.colbert", Kind::kString},
      {"model.precision", Kind::kString},
      {"ingest.include", Kind::kStringArray},
      {"ingest.exclude", Kind::kStringArray},
      {"ingest.chunk_tokens", Kind::kInt},
      {"ingest.overlap_tokens", Kind::kInt},
      {"ingest.encoding", Kind::kString},
      {"ingest.max_file_mb", Kind::kInt},
      {"ingest.hidden", Kind::kBool},
      {"ingest.follow_symlinks", Kind::kBool},
      {"ingest.ignore_files", Kind::kBool},
      {"ingest.stemming", Kind::kBool},
      {"search.k", Kind::kInt},
      {"search.mode", Kind::kString},
      {"search.fusion", Kind::kString},
      {"search.colbert_weight", Kind::kDouble},
      {"search.lang", Kind::kString},
      {"output.color", Kind::kString},
      {"answer.model", Kind::kString},
      {"answer.precision", Kind::kString},
      {"answer.max_tokens", Kind::kInt},
      {"answer.passages", Kind::kInt},
  };
  return *schema;
}

std::string KnownKeys(const std::string& section) {
  std::vector<std::string> keys;
  for (const auto& [key, kind] : Schema()) {
    if (section.empty() || key.rfind(section + ".", 0) == 0) keys.push_back(key);
  }
  return absl::StrJoin(keys, ", ");
}

// A cursor over one line's value text.
class ValueParser {
 public:
  ValueParser(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  absl::StatusOr<ConfigValue> ParseValue() {
    SkipSpaces();
    if (AtEnd()) return Error("missing value after '='");
    char c = text_[pos_];
    ConfigValue value;
    if (c == '"' || c == '\'') {
      LATERAL_ASSIGN_OR_RETURN(std::string s, ParseString());
      value = std::move(s);
    } else if (c == '[') {
      LATERAL_ASSIGN_OR_RETURN(std::vector<std::string> array, ParseArray());
      value = std::move(array);
    } else {
      size_t start = pos_;
      while (!AtEnd() && text_[pos_] != '#' && text_[pos_] != ' ' && text_[pos_] != '\t') ++pos_;
      std::string word(text_.substr(start, pos_ - start));
      if (word == "true" || word == "false") {
        value = word == "true";
      } else {
        std::string digits;
        for (char ch : word) {
          if (ch != '_') digits.push_back(ch);
        }
        int64_t i = 0;
        double d = 0;
        if (absl::SimpleAtoi(digits, &i)) {
          value = i;
        } else if (digits.find_first_of(".eE") != std::string::npos && absl::SimpleAtod(digits, &d)) {
          value = d;
        } else {
          return Error(absl::StrCat("cannot read value \"", word,
                                    "\" (strings need quotes; numbers, true/false and [\"arrays\"] do not)"));
        }
      }
    }
    SkipSpaces();
    if (!AtEnd() && text_[pos_] != '#') {
      return Error(absl::StrCat("unexpected text after the value: \"", std::string(text_.substr(pos_)), "\""));
    }
    return value;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpaces() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  absl::Status Error(const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(where_, ": ", message));
  }

  absl::StatusOr<std::string> ParseString() {
    char quote = text_[pos_++];
    std::string out;
    while (!AtEnd() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (quote == '\'' || c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
          uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            char h = text_[pos_++];
            int digit = std::isxdigit(static_cast<unsigned char>(h))
                            ? (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10))
                            : -1;
            if (digit < 0) return Error("bad hex digit in \\u escape");
            cp = cp * 16 + digit;
          }
          if (cp >= 0xD800 && cp < 0xE000) return Error("\\u escape of a surrogate");
          tok::AppendUtf8(static_cast<int32_t>(cp), &out);
          break;
        }
        default:
          return Error(absl::StrCat("unknown escape \\", std::string(1, e), " in a string"));
      }
    }
    if (AtEnd()) return Error("unterminated string");
    ++pos_;  // closing quote
    return out;
  }

  absl::StatusOr<std::vector<std::string>> ParseArray() {
    ++pos_;  // '['
    std::vector<std::string> items;
    while (true) {
      SkipSpaces();
      if (AtEnd()) return Error("unterminated array (arrays must fit on one line)");
      if (text_[pos_] == ']') {
        ++pos_;
        return items;
      }
      if (text_[pos_] != '"' && text_[pos_] != '\'') return Error("array items must be quoted strings");
      LATERAL_ASSIGN_OR_RETURN(std::string item, ParseString());
      items.push_back(std::move(item));
      SkipSpaces();
      if (!AtEnd() && text_[pos_] == ',') {
        ++pos_;
      } else if (AtEnd() || text_[pos_] != ']') {
        return Error("expected ',' or ']' in an array");
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string where_;
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kString: return "a quoted string";
    case Kind::kInt: return "an integer";
    case Kind::kDouble: return "a number";
    case Kind::kBool: return "true or false";
    case Kind::kStringArray: return "an array of strings";
  }
  return "?";
}

// Checks `value` against the schema, widening an integer to a double where a
// number is expected.
absl::StatusOr<ConfigValue> CheckKind(const ConfigValue& value, Kind kind, const std::string& where,
                                      const std::string& key) {
  bool ok = false;
  switch (kind) {
    case Kind::kString: ok = std::holds_alternative<std::string>(value); break;
    case Kind::kInt: ok = std::holds_alternative<int64_t>(value); break;
    case Kind::kBool: ok = std::holds_alternative<bool>(value); break;
    case Kind::kStringArray: ok = std::holds_alternative<std::vector<std::string>>(value); break;
    case Kind::kDouble:
      if (std::holds_alternative<int64_t>(value)) return ConfigValue(static_cast<double>(std::get<int64_t>(value)));
      ok = std::holds_alternative<double>(value);
      break;
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " must be ", KindName(kind)));
  return value;
}

}  // namespace

absl::StatusOr<ConfigEntries> ParseConfig(std::string_view text, const std::string& source) {
  ConfigEntries entries;
  std::string section;
  int line_number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string where = absl::StrCat(source, ":", line_number);
    absl::string_view stripped = absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size()));
    if (stripped.empty() || stripped[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    if (stripped[0] == '[') {
      size_t close = stripped.find(']');
      if (close == std::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": section header without ']'"));
      }
      absl::string_view rest = absl::StripAsciiWhitespace(absl::string_view(stripped.data() + close + 1,
                                                                           stripped.size() - close - 1));
      if (!rest.empty() && rest[0] != '#') {
        return absl::InvalidArgumentError(absl::StrCat(where, ": unexpected text after the section header"));
      }
      section = std::string(absl::StripAsciiWhitespace(absl::string_view(stripped.data() + 1, close - 1)));
      if (KnownKeys(section).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": unknown section [", section, "] (known: model, ingest, search, output, answer)"));
      }
      if (end == text.size()) break;
      continue;
    }
    size_t eq = stripped.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected key = value"));
    }
    std::string key(absl::StripAsciiWhitespace(absl::string_view(stripped.data(), eq)));
    std::string full_key = section.empty() ? key : absl::StrCat(section, ".", key);
    auto schema_entry = Schema().find(full_key);
    if (schema_entry == Schema().end()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", full_key, "\" (known: ",
                                                     KnownKeys(section), ")"));
    }
    if (entries.values.count(full_key) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", full_key, " is already set at ", entries.origins[full_key]));
    }
    ValueParser parser(std::string_view(stripped.data() + eq + 1, stripped.size() - eq - 1), where);
    LATERAL_ASSIGN_OR_RETURN(ConfigValue value, parser.ParseValue());
    LATERAL_ASSIGN_OR_RETURN(value, CheckKind(value, schema_entry->second, where, full_key));
    entries.values[full_key] = std::move(value);
    entries.origins[full_key] = where;
    if (end == text.size()) break;
  }
  return entries;
}

absl::StatusOr<ConfigEntries> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return ConfigEntries{};
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseConfig(buffer.str(), path);
}

absl::Status ApplyConfig(const ConfigEntries& entries, Settings& s) {
  auto origin = [&](const std::string& key) {
    auto it = entries.origins.find(key);
    return it == entries.origins.end() ? key : absl::StrCat(it->second, ": ", key);
  };
  auto get_string = [&](const std::string& key, std::string& out) {
    auto it = entries.values.find(key);
    if (it != entries.values.end()) out = std::get<std::string>(it->second);
  };
  auto get_int = [&](const std::string& key, int64_t& out, int64_t lo, int64_t hi) -> absl::Status {
    auto it = entries.values.find(key);
    if (it == entries.values.end()) return absl::OkStatus();
    int64_t v = std::get<int64_t>(it->second);
    if (v < lo || v > hi) {
      return absl::InvalidArgumentError(absl::StrCat(origin(key), " must be in [", lo, ", ", hi, "], not ", v));
    }
    out = v;
    return absl::OkStatus();
  };
  auto get_bool = [&](const std::string& key, bool& out) {
    auto it = entries.values.find(key);
    if (it != entries.values.end()) out = std::get<bool>(it->second);
  };
  auto get_list = [&](const std::string& key, std::vector<std::string>& out) {
    auto it = entries.values.find(key);
    if (it != entries.values.end()) out = std::get<std::vector<std::string>>(it->second);
  };
  auto one_of = [&](const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) -> absl::Status {
    if (entries.values.count(key) == 0) return absl::OkStatus();
    for (const char* a : allowed) {
      if (value == a) return absl::OkStatus();
    }
    std::vector<std::string> names;
    for (const char* a : allowed) names.push_back(*a == '\0' ? "\"\" (the default)" : a);
    return absl::InvalidArgumentError(
        absl::StrCat(origin(key), " is \"", value, "\"; expected one of: ", absl::StrJoin(names, ", ")));
  };

  get_string("model.colbert", s.colbert_model);
  get_string("model.precision", s.precision);
  LATERAL_RETURN_IF_ERROR(one_of("model.precision", s.precision, {"", "f32", "bf16", "int8", "q4"}));
  get_list("ingest.include", s.include);
  get_list("ingest.exclude", s.exclude);
  LATERAL_RETURN_IF_ERROR(get_int("ingest.chunk_tokens", s.chunk_tokens, 0, 1 << 20));
  LATERAL_RETURN_IF_ERROR(get_int("ingest.overlap_tokens", s.overlap_tokens, -1, 1 << 20));
  get_string("ingest.encoding", s.encoding);
  LATERAL_RETURN_IF_ERROR(get_int("ingest.max_file_mb", s.max_file_mb, 1, int64_t{1} << 20));
  get_bool("ingest.hidden", s.hidden);
  get_bool("ingest.follow_symlinks", s.follow_symlinks);
  get_bool("ingest.ignore_files", s.ignore_files);
  get_bool("ingest.stemming", s.stemming);
  LATERAL_RETURN_IF_ERROR(get_int("search.k", s.k, 1, 100000));
  get_string("search.mode", s.mode);
  LATERAL_RETURN_IF_ERROR(one_of("search.mode", s.mode, {"", "bm25", "colbert", "hybrid", "rerank"}));
  get_string("search.fusion", s.fusion);
  LATERAL_RETURN_IF_ERROR(one_of("search.fusion", s.fusion, {"rrf", "weighted"}));
  if (auto it = entries.values.find("search.colbert_weight"); it != entries.values.end()) {
    double w = std::get<double>(it->second);
    if (!(w >= 0 && w <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(origin("search.colbert_weight"), " must be in [0, 1]"));
    }
    s.colbert_weight = w;
  }
  get_string("search.lang", s.lang);
  get_string("output.color", s.color);
  LATERAL_RETURN_IF_ERROR(one_of("output.color", s.color, {"auto", "always", "never"}));
  get_string("answer.model", s.answer_model);
  get_string("answer.precision", s.answer_precision);
  LATERAL_RETURN_IF_ERROR(one_of("answer.precision", s.answer_precision, {"", "f32", "bf16", "int8", "q4"}));
  LATERAL_RETURN_IF_ERROR(get_int("answer.max_tokens", s.answer_max_tokens, 0, 1 << 20));
  LATERAL_RETURN_IF_ERROR(get_int("answer.passages", s.answer_passages, 1, 1000));
  if (s.overlap_tokens >= 0 && s.chunk_tokens > 0 && s.overlap_tokens >= s.chunk_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(origin("ingest.overlap_tokens"),
                                                   " must be smaller than ingest.chunk_tokens"));
  }
  return absl::OkStatus();
}

std::vector<std::string> SplitCommaList(const std::string& text) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    items.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return items;
}

std::string UserConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] != '\0') return absl::StrCat(xdg, "/lateral/config.toml");
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return absl::StrCat(home, "/.config/lateral/config.toml");
  return "";
}

std::string DefaultCollectionConfig(const std::string& colbert_model) {
  std::string model_line = colbert_model.empty()
                               ? "# colbert = \"LiquidAI/LFM2-ColBERT-350M\"   # none: BM25 search only"
                               : absl::StrCat("colbert = \"", colbert_model, "\"");
  return absl::StrCat(
      "# lateral collection settings. Flags override these; these override the user config\n"
      "# (", UserConfigPath().empty() ? "~/.config/lateral/config.toml" : UserConfigPath(), ").\n"
      "# Changing the model or chunking applies on `lateral reindex`.\n\n"
      "[model]\n", model_line, "\n"
      "# precision = \"\"           # f32 | bf16 | int8 | q4; \"\": bf16 on CPUs with AVX512-BF16, else f32\n\n"
      "[ingest]\n"
      "# include = [\"*.md\", \"*.txt\"]\n"
      "# exclude = [\"drafts/**\"]\n"
      "# chunk_tokens = 0          # 0: the encoder's document length (256 without one)\n"
      "# overlap_tokens = -1       # -1: an eighth of chunk_tokens\n"
      "# encoding = \"\"             # \"\": detect; e.g. \"windows-1252\"\n"
      "# max_file_mb = 256\n"
      "# hidden = false\n"
      "# ignore_files = true       # honour .gitignore, .ignore, .lateralignore\n\n"
      "[search]\n"
      "# k = 10\n"
      "# mode = \"\"                 # bm25 | colbert | hybrid | rerank; \"\": hybrid with a model, else bm25\n"
      "# fusion = \"rrf\"            # rrf | weighted\n"
      "# colbert_weight = 0.5\n\n"
      "[output]\n"
      "# color = \"auto\"            # auto | always | never\n\n"
      "[answer]                     # lateral ask / lateral chat\n"
      "# model = \"LiquidAI/LFM2-1.2B-RAG\"   # the generative model: directory or hub id\n"
      "# precision = \"\"           # f32 | bf16 | int8 | q4 for the generative model\n"
      "# max_tokens = 0            # 0: generation_config.json's max_new_tokens, else 256\n"
      "# passages = 5              # passages retrieved per question\n");
}

}  // namespace lateral::cli

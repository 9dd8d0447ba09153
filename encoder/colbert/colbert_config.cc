#include "encoder/colbert/colbert_config.h"

#include <sys/stat.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// PyLate's default skiplist: Python's string.punctuation, one character each.
std::vector<std::string> DefaultSkiplist() {
  std::vector<std::string> words;
  for (char c : std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")) words.emplace_back(1, c);
  return words;
}

}  // namespace

bool IsColbertDirectory(const std::string& dir) {
  return Exists(absl::StrCat(dir, "/modules.json")) ||
         Exists(absl::StrCat(dir, "/config_sentence_transformers.json"));
}

absl::StatusOr<ColbertConfig> LoadColbertConfig(const std::string& dir) {
  ColbertConfig c;
  c.skiplist_words = DefaultSkiplist();

  // modules.json: find the Dense module's folder.
  const std::string modules_path = absl::StrCat(dir, "/modules.json");
  if (Exists(modules_path)) {
    LATERAL_ASSIGN_OR_RETURN(Json modules, ReadJsonFile(modules_path));
    if (!modules.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(modules_path, ": expected a JSON array of modules"));
    }
    bool found_dense = false;
    for (const Json& module : modules) {
      JsonObjectReader r(module, modules_path);
      LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> type, r.GetOptionalString("type"));
      if (!type.has_value()) continue;
      if (type->size() >= 5 && type->compare(type->size() - 5, 5, "Dense") == 0) {
        LATERAL_ASSIGN_OR_RETURN(std::string path, r.GetString("path"));
        if (path.empty() || path.find("..") != std::string::npos || path[0] == '/') {
          return absl::InvalidArgumentError(
              absl::StrCat(modules_path, ": Dense module path \"", path, "\" is not a folder of the model"));
        }
        c.dense_path = path;
        found_dense = true;
      }
    }
    if (!found_dense) {
      return absl::InvalidArgumentError(
          absl::StrCat(modules_path, ": no Dense module; a ColBERT model needs its projection layer"));
    }
  }

  const std::string st_path = absl::StrCat(dir, "/config_sentence_transformers.json");
  if (Exists(st_path)) {
    LATERAL_ASSIGN_OR_RETURN(Json st, ReadJsonFile(st_path));
    JsonObjectReader r(st, st_path);
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> qp, r.GetOptionalString("query_prefix"));
    if (qp.has_value()) c.query_prefix = *qp;
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> dp, r.GetOptionalString("document_prefix"));
    if (dp.has_value()) c.document_prefix = *dp;
    LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> ql, r.GetOptionalInt("query_length"));
    if (ql.has_value()) c.query_length = static_cast<int>(*ql);
    LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> dl, r.GetOptionalInt("document_length"));
    if (dl.has_value()) c.document_length = static_cast<int>(*dl);
    LATERAL_ASSIGN_OR_RETURN(std::optional<bool> expand, r.GetOptionalBool("do_query_expansion"));
    if (expand.has_value()) c.do_query_expansion = *expand;
    LATERAL_ASSIGN_OR_RETURN(std::optional<bool> attend, r.GetOptionalBool("attend_to_expansion_tokens"));
    if (attend.has_value()) c.attend_to_expansion_tokens = *attend;
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> skip,
                             r.GetOptionalStringArray("skiplist_words"));
    if (skip.has_value()) c.skiplist_words = *skip;
    if (c.query_length < 2 || c.query_length > 8192) {
      return absl::InvalidArgumentError(absl::StrCat(st_path, ": field \"query_length\" must be 2..8192"));
    }
    if (c.document_length < 2 || c.document_length > 1 << 20) {
      return absl::InvalidArgumentError(absl::StrCat(st_path, ": field \"document_length\" must be at least 2"));
    }
  }

  const std::string dense_config = absl::StrCat(dir, "/", c.dense_path, "/config.json");
  LATERAL_ASSIGN_OR_RETURN(Json dense, ReadJsonFile(dense_config));
  JsonObjectReader r(dense, dense_config);
  LATERAL_ASSIGN_OR_RETURN(int64_t in, r.GetInt("in_features"));
  LATERAL_ASSIGN_OR_RETURN(int64_t out, r.GetInt("out_features"));
  if (in <= 0 || out <= 0 || in > 1 << 16 || out > 1 << 16) {
    return absl::InvalidArgumentError(absl::StrCat(dense_config, ": in_features/out_features out of range"));
  }
  c.dense_in_features = static_cast<int>(in);
  c.dense_out_features = static_cast<int>(out);
  LATERAL_ASSIGN_OR_RETURN(std::optional<bool> bias, r.GetOptionalBool("bias"));
  c.dense_bias = bias.value_or(true);
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> activation, r.GetOptionalString("activation_function"));
  if (activation.has_value() && *activation != "torch.nn.modules.linear.Identity") {
    return absl::InvalidArgumentError(absl::StrCat(dense_config, ": activation_function \"", *activation,
                                                   "\" is not supported (ColBERT heads use Identity)"));
  }
  return c;
}

}  // namespace lateral

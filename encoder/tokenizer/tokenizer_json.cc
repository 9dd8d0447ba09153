#include "encoder/tokenizer/tokenizer_json.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"
#include "encoder/tokenizer/bpe_model.h"
#include "encoder/tokenizer/llama3_splitter.h"
#include "encoder/tokenizer/normalizer.h"
#include "encoder/tokenizer/pretokenizer.h"
#include "encoder/tokenizer/regex_splitter.h"
#include "encoder/tokenizer/string_util.h"

namespace lateral {
namespace tok {
namespace {

// Sequences nest; a file nesting deeper than this is rejected rather than
// recursed into (it cannot come from tokenizers, and would only exhaust the stack).
constexpr int kMaxNesting = 16;

// GPT-2's split regex, which ByteLevel applies when use_regex is true.
constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// A JSON value and where it sits in the file ("model.merges[3]"), so that
// every error can name the file and the field. nlohmann throws on type
// mismatches, so values are only read after their type has been checked.
class Node {
 public:
  Node(const Json& json, std::string_view file, std::string path)
      : json_(json), file_(file), path_(std::move(path)) {}

  const Json& json() const { return json_; }
  const std::string& path() const { return path_; }

  absl::Status Error(std::string_view message) const {
    return absl::InvalidArgumentError(Cat(file_, ": ", path_, ": ", message));
  }
  absl::Status Unsupported(std::string_view message) const {
    return absl::UnimplementedError(Cat(file_, ": ", path_, ": ", message));
  }

  // The member `name` (null when missing or null).
  const Json* Find(std::string_view name) const {
    if (!json_.is_object()) return nullptr;
    auto it = json_.find(std::string(name));
    if (it == json_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  Node Child(std::string_view name) const {
    const Json* v = Find(name);
    return Node(v ? *v : NullJson(), file_, JoinPath(name));
  }
  Node Element(size_t index) const {
    return Node(json_[index], file_, Cat(path_, "[", index, "]"));
  }

  absl::Status ExpectObject() const {
    if (!json_.is_object()) return Error(Cat("must be an object, found ", json_.type_name()));
    return absl::OkStatus();
  }
  absl::Status ExpectArray() const {
    if (!json_.is_array()) return Error(Cat("must be an array, found ", json_.type_name()));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(std::string_view name) const {
    const Json* v = Find(name);
    if (v == nullptr) return Child(name).Error("missing (a string is required)");
    if (!v->is_string()) {
      return Child(name).Error(Cat("must be a string, found ", v->type_name()));
    }
    return v->get<std::string>();
  }
  absl::StatusOr<std::optional<std::string>> OptionalString(std::string_view name) const {
    if (Find(name) == nullptr) return std::nullopt;
    LATERAL_ASSIGN_OR_RETURN(std::string s, String(name));
    return s;
  }
  absl::StatusOr<bool> Bool(std::string_view name, bool default_value) const {
    const Json* v = Find(name);
    if (v == nullptr) return default_value;
    if (!v->is_boolean()) {
      return Child(name).Error(Cat("must be true or false, found ", v->type_name()));
    }
    return v->get<bool>();
  }
  // A token id: an integer in 0..kMaxTokenId.
  absl::StatusOr<int32_t> Id(std::string_view name) const {
    const Json* v = Find(name);
    if (v == nullptr) return Child(name).Error("missing (a token id is required)");
    return Node(*v, file_, JoinPath(name)).AsId();
  }
  absl::StatusOr<int32_t> AsId() const {
    if (json_.is_number_unsigned() && json_.get<uint64_t>() <= static_cast<uint64_t>(kMaxTokenId)) {
      return static_cast<int32_t>(json_.get<uint64_t>());
    }
    if (json_.is_number_integer() && !json_.is_number_unsigned()) {
      return Error(Cat("token id ", json_.get<int64_t>(), " is negative"));
    }
    if (json_.is_number_float()) {
      const double d = json_.get<double>();
      if (std::isfinite(d) && d >= 0 && d <= kMaxTokenId && std::floor(d) == d) {
        return static_cast<int32_t>(d);
      }
    }
    if (json_.is_number()) {
      return Error(Cat("token id ", json_.dump(-1, ' ', false, Json::error_handler_t::replace), " is not an integer in 0..", kMaxTokenId));
    }
    return Error(Cat("must be a token id (an integer), found ", json_.type_name()));
  }

  // The "type" member, for the tagged unions of tokenizer.json.
  absl::StatusOr<std::string> Type() const {
    LATERAL_RETURN_IF_ERROR(ExpectObject());
    return String("type");
  }

 private:
  static const Json& NullJson() {
    static const Json* null_json = new Json(nullptr);
    return *null_json;
  }
  std::string JoinPath(std::string_view name) const {
    return path_.empty() ? std::string(name) : Cat(path_, ".", name);
  }

  const Json& json_;
  std::string_view file_;
  std::string path_;
};

absl::Status UnsupportedType(const Node& node, std::string_view type, std::string_view supported) {
  return node.Child("type").Unsupported(
      Cat("\"", type, "\" is not supported (supported: ", supported, ")"));
}

// ---- model ----------------------------------------------------------------

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseMerges(const Node& merges) {
  LATERAL_RETURN_IF_ERROR(merges.ExpectArray());
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.json().size());
  for (size_t i = 0; i < merges.json().size(); ++i) {
    const Json& m = merges.json()[i];
    if (m.is_string()) {
      // The legacy merges.txt form "a b"; "#version" lines are comments there.
      const std::string& line = m.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() != 2) {
        return merges.Element(i).Error(Cat(
            "\"", line, "\" must be two tokens separated by one space"));
      }
      out.emplace_back(std::move(parts[0]), std::move(parts[1]));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return merges.Element(i).Error(Cat(
          "must be a string \"a b\" or a pair [\"a\", \"b\"], found ", m.dump(-1, ' ', false, Json::error_handler_t::replace).substr(0, 80)));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<BpeModel>> ParseModel(const Node& model, bool byte_level_input,
                                                     const TokenizerJsonOptions& options,
                                                     std::string_view file) {
  LATERAL_RETURN_IF_ERROR(model.ExpectObject());
  // Files written by old versions of tokenizers have no "type"; a model with
  // merges is then a BPE model, as tokenizers' untagged fallback decides.
  std::string type = "BPE";
  if (model.Find("type") != nullptr) {
    LATERAL_ASSIGN_OR_RETURN(type, model.String("type"));
  }
  if (type != "BPE") return UnsupportedType(model, type, "BPE");

  BpeConfig config;
  config.byte_level_input = byte_level_input;
  config.cache_capacity = options.cache_capacity;
  const Node vocab = model.Child("vocab");
  if (vocab.json().is_null()) return vocab.Error("missing (an object token -> id is required)");
  LATERAL_RETURN_IF_ERROR(vocab.ExpectObject());
  config.vocab.reserve(vocab.json().size());
  for (auto it = vocab.json().begin(); it != vocab.json().end(); ++it) {
    const Json& value = it.value();
    if (value.is_number_unsigned() && value.get<uint64_t>() <= static_cast<uint64_t>(kMaxTokenId)) {
      config.vocab.emplace_back(it.key(), static_cast<int32_t>(value.get<uint64_t>()));
      continue;
    }
    // Unusual spellings (12.0) are accepted; everything else fails with the key named.
    const Node entry(value, file, Cat(vocab.path(), "[\"", it.key(), "\"]"));
    LATERAL_ASSIGN_OR_RETURN(int32_t id, entry.AsId());
    config.vocab.emplace_back(it.key(), id);
  }
  const Node merges = model.Child("merges");
  if (merges.json().is_null()) return merges.Error("missing (an array is required)");
  LATERAL_ASSIGN_OR_RETURN(config.merges, ParseMerges(merges));

  LATERAL_ASSIGN_OR_RETURN(config.unk_token, model.OptionalString("unk_token"));
  LATERAL_ASSIGN_OR_RETURN(config.continuing_subword_prefix,
                           model.OptionalString("continuing_subword_prefix"));
  LATERAL_ASSIGN_OR_RETURN(config.end_of_word_suffix, model.OptionalString("end_of_word_suffix"));
  LATERAL_ASSIGN_OR_RETURN(config.fuse_unk, model.Bool("fuse_unk", false));
  LATERAL_ASSIGN_OR_RETURN(config.byte_fallback, model.Bool("byte_fallback", false));
  LATERAL_ASSIGN_OR_RETURN(config.ignore_merges, model.Bool("ignore_merges", false));
  if (const Json* dropout = model.Find("dropout")) {
    if (!dropout->is_number()) {
      return model.Child("dropout").Error(
          Cat("must be a number or null, found ", dropout->type_name()));
    }
    if (dropout->get<double>() != 0.0) {
      return model.Child("dropout").Unsupported(
          "BPE dropout is not supported (it makes encoding random; inference files have null)");
    }
  }
  return BpeModel::Create(std::move(config), file, model.path());
}

// ---- normalizer -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(const Node& node, int depth) {
  if (depth > kMaxNesting) return node.Error("nested too deeply");
  LATERAL_ASSIGN_OR_RETURN(std::string type, node.Type());
  if (type == "NFC") return NewUnicodeNormalizer(UnicodeForm::kNfc);
  if (type == "NFD") return NewUnicodeNormalizer(UnicodeForm::kNfd);
  if (type == "NFKC") return NewUnicodeNormalizer(UnicodeForm::kNfkc);
  if (type == "NFKD") return NewUnicodeNormalizer(UnicodeForm::kNfkd);
  if (type == "Lowercase") return NewLowercaseNormalizer();
  if (type == "Prepend") {
    LATERAL_ASSIGN_OR_RETURN(std::string prepend, node.String("prepend"));
    return NewPrependNormalizer(std::move(prepend));
  }
  if (type == "Replace") {
    const Node pattern = node.Child("pattern");
    LATERAL_RETURN_IF_ERROR(pattern.ExpectObject());
    if (pattern.Find("String") == nullptr) {
      return pattern.Unsupported("only {\"String\": ...} patterns are supported in Replace");
    }
    LATERAL_ASSIGN_OR_RETURN(std::string literal, pattern.String("String"));
    if (literal.empty()) return pattern.Child("String").Error("must not be empty");
    LATERAL_ASSIGN_OR_RETURN(std::string content, node.String("content"));
    return NewReplaceNormalizer(std::move(literal), std::move(content));
  }
  if (type == "Sequence") {
    const Node list = node.Child("normalizers");
    LATERAL_RETURN_IF_ERROR(list.ExpectArray());
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.json().size(); ++i) {
      LATERAL_ASSIGN_OR_RETURN(auto step, ParseNormalizer(list.Element(i), depth + 1));
      steps.push_back(std::move(step));
    }
    return NewSequenceNormalizer(std::move(steps));
  }
  return UnsupportedType(node, type,
                         "NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Sequence, null");
}

// ---- pre-tokenizer ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<Splitter>> ParseSplitPattern(const Node& pattern,
                                                            const TokenizerJsonOptions& options) {
  LATERAL_RETURN_IF_ERROR(pattern.ExpectObject());
  if (pattern.Find("Regex") != nullptr) {
    LATERAL_ASSIGN_OR_RETURN(std::string regex, pattern.String("Regex"));
    if (!options.force_icu_regex) {
      if (std::optional<Llama3SplitterOptions> fast = RecognizeLlama3Pattern(regex)) {
        return NewLlama3Splitter(*fast);
      }
    }
    absl::StatusOr<std::unique_ptr<Splitter>> splitter = NewIcuRegexSplitter(regex);
    if (!splitter.ok()) return pattern.Child("Regex").Error(std::string(splitter.status().message()));
    return splitter;
  }
  if (pattern.Find("String") != nullptr) {
    LATERAL_ASSIGN_OR_RETURN(std::string literal, pattern.String("String"));
    if (literal.empty()) return pattern.Child("String").Error("must not be empty");
    return NewLiteralSplitter(std::move(literal));
  }
  return pattern.Error("must hold \"Regex\" or \"String\"");
}

absl::StatusOr<SplitBehavior> ParseBehavior(const Node& node) {
  LATERAL_ASSIGN_OR_RETURN(std::string behavior, node.String("behavior"));
  if (behavior == "Removed") return SplitBehavior::kRemoved;
  if (behavior == "Isolated") return SplitBehavior::kIsolated;
  if (behavior == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (behavior == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (behavior == "Contiguous") return SplitBehavior::kContiguous;
  return node.Child("behavior").Error(Cat(
      "\"", behavior,
      "\" is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous"));
}

absl::Status ParsePreTokenizer(const Node& node, const TokenizerJsonOptions& options, int depth,
                               PreTokenizer* out) {
  if (depth > kMaxNesting) return node.Error("nested too deeply");
  LATERAL_ASSIGN_OR_RETURN(std::string type, node.Type());
  if (type == "Sequence") {
    const Node list = node.Child("pretokenizers");
    LATERAL_RETURN_IF_ERROR(list.ExpectArray());
    for (size_t i = 0; i < list.json().size(); ++i) {
      LATERAL_RETURN_IF_ERROR(ParsePreTokenizer(list.Element(i), options, depth + 1, out));
    }
    return absl::OkStatus();
  }
  if (type == "Split") {
    LATERAL_ASSIGN_OR_RETURN(std::unique_ptr<Splitter> splitter,
                             ParseSplitPattern(node.Child("pattern"), options));
    LATERAL_ASSIGN_OR_RETURN(SplitBehavior behavior, ParseBehavior(node));
    LATERAL_ASSIGN_OR_RETURN(bool invert, node.Bool("invert", false));
    out->AddSplit(std::move(splitter), behavior, invert);
    return absl::OkStatus();
  }
  if (type == "ByteLevel") {
    LATERAL_ASSIGN_OR_RETURN(bool add_prefix_space, node.Bool("add_prefix_space", true));
    LATERAL_ASSIGN_OR_RETURN(bool use_regex, node.Bool("use_regex", true));
    std::unique_ptr<Splitter> regex;
    if (use_regex) {
      LATERAL_ASSIGN_OR_RETURN(regex, NewIcuRegexSplitter(kGpt2Pattern));
    }
    out->AddByteLevel(add_prefix_space, std::move(regex));
    return absl::OkStatus();
  }
  return UnsupportedType(node, type, "Sequence, Split, ByteLevel, null");
}

// ---- post-processor ----------------------------------------------------------

struct SpecialIds {
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
};

// The ids of a TemplateProcessing "special_tokens" entry.
absl::StatusOr<std::vector<int32_t>> TemplateSpecialIds(const Node& special_tokens,
                                                        const std::string& name) {
  const Node entry = special_tokens.Child(name);
  if (entry.json().is_null()) {
    return special_tokens.Error(Cat("has no entry for \"", name, "\""));
  }
  LATERAL_RETURN_IF_ERROR(entry.ExpectObject());
  const Node ids = entry.Child("ids");
  LATERAL_RETURN_IF_ERROR(ids.ExpectArray());
  std::vector<int32_t> out;
  for (size_t i = 0; i < ids.json().size(); ++i) {
    LATERAL_ASSIGN_OR_RETURN(int32_t id, ids.Element(i).AsId());
    out.push_back(id);
  }
  return out;
}

absl::StatusOr<std::pair<std::string, int32_t>> ParseNamedId(const Node& node) {
  // BertProcessing / RobertaProcessing write "cls": ["[CLS]", 101].
  const Json& j = node.json();
  if (!j.is_array() || j.size() != 2 || !j[0].is_string()) {
    return node.Error("must be a pair [token, id]");
  }
  LATERAL_ASSIGN_OR_RETURN(int32_t id, node.Element(1).AsId());
  return std::make_pair(j[0].get<std::string>(), id);
}

absl::Status ParsePostProcessor(const Node& node, int depth, SpecialIds* out) {
  if (depth > kMaxNesting) return node.Error("nested too deeply");
  LATERAL_ASSIGN_OR_RETURN(std::string type, node.Type());
  if (type == "ByteLevel") return absl::OkStatus();  // offsets only
  if (type == "TemplateProcessing") {
    const Node single = node.Child("single");
    LATERAL_RETURN_IF_ERROR(single.ExpectArray());
    const Node special_tokens = node.Child("special_tokens");
    SpecialIds ids;
    bool seen_sequence = false;
    for (size_t i = 0; i < single.json().size(); ++i) {
      const Node item = single.Element(i);
      LATERAL_RETURN_IF_ERROR(item.ExpectObject());
      if (item.Find("Sequence") != nullptr) {
        const Node sequence = item.Child("Sequence");
        LATERAL_RETURN_IF_ERROR(sequence.ExpectObject());
        LATERAL_ASSIGN_OR_RETURN(std::string id, sequence.String("id"));
        if (id != "A" || seen_sequence) {
          return sequence.Error("the single template must hold exactly one sequence, $A");
        }
        seen_sequence = true;
      } else if (item.Find("SpecialToken") != nullptr) {
        const Node special = item.Child("SpecialToken");
        LATERAL_RETURN_IF_ERROR(special.ExpectObject());
        LATERAL_ASSIGN_OR_RETURN(std::string name, special.String("id"));
        LATERAL_RETURN_IF_ERROR(special_tokens.ExpectObject());
        LATERAL_ASSIGN_OR_RETURN(std::vector<int32_t> special_ids,
                                 TemplateSpecialIds(special_tokens, name));
        auto& side = seen_sequence ? ids.suffix : ids.prefix;
        side.insert(side.end(), special_ids.begin(), special_ids.end());
      } else {
        return item.Error("must hold \"Sequence\" or \"SpecialToken\"");
      }
    }
    if (!seen_sequence) return single.Error("has no $A sequence");
    out->prefix.insert(out->prefix.begin(), ids.prefix.begin(), ids.prefix.end());
    out->suffix.insert(out->suffix.end(), ids.suffix.begin(), ids.suffix.end());
    return absl::OkStatus();
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    LATERAL_ASSIGN_OR_RETURN(auto cls, ParseNamedId(node.Child("cls")));
    LATERAL_ASSIGN_OR_RETURN(auto sep, ParseNamedId(node.Child("sep")));
    out->prefix.insert(out->prefix.begin(), cls.second);
    out->suffix.push_back(sep.second);
    return absl::OkStatus();
  }
  if (type == "Sequence") {
    const Node list = node.Child("processors");
    LATERAL_RETURN_IF_ERROR(list.ExpectArray());
    for (size_t i = 0; i < list.json().size(); ++i) {
      LATERAL_RETURN_IF_ERROR(ParsePostProcessor(list.Element(i), depth + 1, out));
    }
    return absl::OkStatus();
  }
  return UnsupportedType(
      node, type,
      "TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence, null");
}

// ---- added tokens ------------------------------------------------------------

absl::StatusOr<std::vector<AddedToken>> ParseAddedTokens(const Node& list) {
  std::vector<AddedToken> out;
  if (list.json().is_null()) return out;
  LATERAL_RETURN_IF_ERROR(list.ExpectArray());
  for (size_t i = 0; i < list.json().size(); ++i) {
    const Node item = list.Element(i);
    LATERAL_RETURN_IF_ERROR(item.ExpectObject());
    AddedToken token;
    LATERAL_ASSIGN_OR_RETURN(token.content, item.String("content"));
    LATERAL_ASSIGN_OR_RETURN(token.id, item.Id("id"));
    // Missing flags take AddedToken's defaults in tokenizers.
    LATERAL_ASSIGN_OR_RETURN(token.single_word, item.Bool("single_word", false));
    LATERAL_ASSIGN_OR_RETURN(token.lstrip, item.Bool("lstrip", false));
    LATERAL_ASSIGN_OR_RETURN(token.rstrip, item.Bool("rstrip", false));
    LATERAL_ASSIGN_OR_RETURN(token.normalized, item.Bool("normalized", true));
    LATERAL_ASSIGN_OR_RETURN(token.special, item.Bool("special", false));
    out.push_back(std::move(token));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HfTokenizer>> ParseTokenizerJson(
    std::string_view json_text, std::string_view source, const TokenizerConfig& config,
    std::string_view config_source, const TokenizerJsonOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(Json json, ParseJson(ToAbsl(json_text), ToAbsl(source)));
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        Cat(source, ": must hold a JSON object, found ", json.type_name()));
  }
  const Node root(json, source, "");
  if (root.Find("version") != nullptr) {
    LATERAL_ASSIGN_OR_RETURN(std::string version, root.String("version"));
    if (version != "1.0") {
      return root.Child("version").Unsupported(
          Cat("\"", version, "\" is not supported (supported: 1.0)"));
    }
  }

  HfTokenizerParts parts;
  parts.source = std::string(source);
  parts.config_source = std::string(config_source);

  if (root.Find("normalizer") != nullptr) {
    LATERAL_ASSIGN_OR_RETURN(parts.normalizer, ParseNormalizer(root.Child("normalizer"), 0));
  }
  if (root.Find("pre_tokenizer") != nullptr) {
    LATERAL_RETURN_IF_ERROR(
        ParsePreTokenizer(root.Child("pre_tokenizer"), options, 0, &parts.pre_tokenizer));
  }
  const Node model = root.Child("model");
  if (model.json().is_null()) return model.Error("missing (an object is required)");
  LATERAL_ASSIGN_OR_RETURN(
      parts.model,
      ParseModel(model, parts.pre_tokenizer.defers_byte_level_mapping(), options, source));

  if (root.Find("post_processor") != nullptr) {
    SpecialIds ids;
    LATERAL_RETURN_IF_ERROR(ParsePostProcessor(root.Child("post_processor"), 0, &ids));
    parts.special_prefix = std::move(ids.prefix);
    parts.special_suffix = std::move(ids.suffix);
  }

  parts.decoder = DecoderKind::kNone;
  if (root.Find("decoder") != nullptr) {
    const Node decoder = root.Child("decoder");
    LATERAL_ASSIGN_OR_RETURN(std::string type, decoder.Type());
    if (type != "ByteLevel") return UnsupportedType(decoder, type, "ByteLevel, null");
    parts.decoder = DecoderKind::kByteLevel;
  }

  LATERAL_ASSIGN_OR_RETURN(parts.added_tokens, ParseAddedTokens(root.Child("added_tokens")));
  parts.bos_token = config.bos_token;
  parts.eos_token = config.eos_token;
  parts.pad_token = config.pad_token;
  return HfTokenizer::Create(std::move(parts));
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> LoadHfTokenizer(
    const std::string& tokenizer_json_path, const std::string& tokenizer_config_path_or_empty,
    const TokenizerJsonOptions& options) {
  LATERAL_ASSIGN_OR_RETURN(TokenizerConfig config,
                           ReadTokenizerConfig(tokenizer_config_path_or_empty));
  LATERAL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(tokenizer_json_path));
  return ParseTokenizerJson(text, tokenizer_json_path, config, tokenizer_config_path_or_empty,
                            options);
}

}  // namespace tok

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerJson(
    const std::string& tokenizer_json_path, const std::string& tokenizer_config_path_or_empty) {
  LATERAL_ASSIGN_OR_RETURN(
      std::unique_ptr<tok::HfTokenizer> tokenizer,
      tok::LoadHfTokenizer(tokenizer_json_path, tokenizer_config_path_or_empty,
                           tok::TokenizerJsonOptions()));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace lateral

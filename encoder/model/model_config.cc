#include "encoder/model/model_config.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace lateral {
namespace {

absl::Status FieldError(const std::string& source, absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": field \"", field, "\" ", what));
}

// Reads the first present field of `names` as an integer.
absl::StatusOr<std::optional<int64_t>> FirstInt(const JsonObjectReader& r,
                                                std::initializer_list<absl::string_view> names) {
  for (absl::string_view name : names) {
    LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> v, r.GetOptionalInt(name));
    if (v.has_value()) return v;
  }
  return std::nullopt;
}

absl::StatusOr<int> RequirePositive(const JsonObjectReader& r,
                                    std::initializer_list<absl::string_view> names,
                                    int64_t limit = 1 << 24) {
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> v, FirstInt(r, names));
  if (!v.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.source(), ": missing required field \"", *names.begin(), "\""));
  }
  if (*v <= 0 || *v > limit) {
    return FieldError(r.source(), *names.begin(),
                      absl::StrCat("must be between 1 and ", limit, ", found ", *v));
  }
  return static_cast<int>(*v);
}

absl::StatusOr<std::vector<int>> ParseTokenIds(const JsonObjectReader& r, absl::string_view field) {
  const Json& object = r.object();
  auto it = object.find(std::string(field));
  std::vector<int> ids;
  if (it == object.end() || it->is_null()) return ids;
  if (it->is_number_integer()) {
    ids.push_back(it->get<int>());
    return ids;
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> list, r.GetOptionalIntArray(field));
  for (int64_t id : *list) ids.push_back(static_cast<int>(id));
  return ids;
}

}  // namespace

int ModelConfig::NumAttentionLayers() const {
  int n = 0;
  for (LayerKind kind : layer_kinds) n += kind == LayerKind::kAttention;
  return n;
}

int AdjustedFfnSize(int raw, bool auto_adjust, std::optional<double> multiplier, int multiple_of) {
  if (!auto_adjust) return raw;
  // Same integer steps as Lfm2MLP: int(2 * n / 3), and only with a multiplier,
  // int(multiplier * n) rounded up to a multiple of block_multiple_of.
  int size = static_cast<int>(2.0 * raw / 3.0);
  if (multiplier.has_value()) {
    size = static_cast<int>(*multiplier * size);
    size = multiple_of * ((size + multiple_of - 1) / multiple_of);
  }
  return size;
}

absl::StatusOr<ModelConfig> ParseModelConfig(const Json& json, const std::string& source) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": expected a JSON object"));
  }
  JsonObjectReader r(json, source);
  ModelConfig c;
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> model_type, r.GetOptionalString("model_type"));
  if (!model_type.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": missing required field \"model_type\""));
  }
  if (*model_type != "lfm2" && *model_type != "lfm2_moe") {
    return FieldError(source, "model_type",
                      absl::StrCat("is \"", *model_type,
                                   "\"; lateral runs \"lfm2\" and \"lfm2_moe\" checkpoints"));
  }
  c.model_type = *model_type;
  const bool is_moe = c.model_type == "lfm2_moe";

  LATERAL_ASSIGN_OR_RETURN(c.vocab_size, RequirePositive(r, {"vocab_size"}, 1 << 22));
  LATERAL_ASSIGN_OR_RETURN(c.hidden_size, RequirePositive(r, {"hidden_size", "block_dim", "conv_dim"}, 1 << 16));
  LATERAL_ASSIGN_OR_RETURN(c.num_layers, RequirePositive(r, {"num_hidden_layers"}, 1024));
  LATERAL_ASSIGN_OR_RETURN(c.num_heads, RequirePositive(r, {"num_attention_heads", "num_heads"}, 4096));
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> kv_heads, FirstInt(r, {"num_key_value_heads"}));
  c.num_kv_heads = kv_heads.has_value() ? static_cast<int>(*kv_heads) : 8;  // Lfm2Config default
  if (c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0) {
    return FieldError(source, "num_key_value_heads",
                      absl::StrCat("must divide num_attention_heads (", c.num_heads, "), found ",
                                   c.num_kv_heads));
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> head_dim, r.GetOptionalInt("head_dim"));
  if (head_dim.has_value()) {
    if (*head_dim <= 0 || *head_dim > 4096) return FieldError(source, "head_dim", "must be positive");
    c.head_dim = static_cast<int>(*head_dim);
  } else {
    if (c.hidden_size % c.num_heads != 0) {
      return FieldError(source, "num_attention_heads",
                        absl::StrCat("must divide hidden_size (", c.hidden_size, ")"));
    }
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) return FieldError(source, "head_dim", "must be even for RoPE");

  // Layer kinds: layer_types wins, then full_attn_idxs, then all attention.
  LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> layer_types,
                           r.GetOptionalStringArray("layer_types"));
  if (layer_types.has_value()) {
    if (static_cast<int>(layer_types->size()) != c.num_layers) {
      return FieldError(source, "layer_types",
                        absl::StrCat("has ", layer_types->size(), " entries but num_hidden_layers is ",
                                     c.num_layers));
    }
    for (size_t i = 0; i < layer_types->size(); ++i) {
      const std::string& t = (*layer_types)[i];
      if (t == "conv") {
        c.layer_kinds.push_back(LayerKind::kConv);
      } else if (t == "full_attention") {
        c.layer_kinds.push_back(LayerKind::kAttention);
      } else {
        return FieldError(source, "layer_types",
                          absl::StrCat("entry ", i, " is \"", t,
                                       "\"; expected \"conv\" or \"full_attention\""));
      }
    }
  } else {
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> idxs,
                             r.GetOptionalIntArray("full_attn_idxs"));
    c.layer_kinds.assign(c.num_layers, idxs.has_value() ? LayerKind::kConv : LayerKind::kAttention);
    if (idxs.has_value()) {
      for (int64_t i : *idxs) {
        if (i < 0 || i >= c.num_layers) {
          return FieldError(source, "full_attn_idxs",
                            absl::StrCat("has index ", i, " outside 0..", c.num_layers - 1));
        }
        c.layer_kinds[i] = LayerKind::kAttention;
      }
    }
  }

  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> conv_l, r.GetOptionalInt("conv_L_cache"));
  c.conv_kernel = conv_l.value_or(3);
  if (c.conv_kernel < 1 || c.conv_kernel > 64) {
    return FieldError(source, "conv_L_cache", "must be between 1 and 64");
  }
  LATERAL_ASSIGN_OR_RETURN(std::optional<bool> conv_bias, r.GetOptionalBool("conv_bias"));
  c.conv_bias = conv_bias.value_or(false);
  LATERAL_ASSIGN_OR_RETURN(std::optional<double> eps, r.GetOptionalDouble("norm_eps"));
  c.norm_eps = static_cast<float>(eps.value_or(1e-5));
  if (!(c.norm_eps > 0)) return FieldError(source, "norm_eps", "must be positive");

  // RoPE: rope_parameters.rope_theta (newer configs), else rope_theta, else theta.
  LATERAL_ASSIGN_OR_RETURN(const Json* rope, r.GetOptionalObject("rope_parameters"));
  std::optional<double> theta;
  if (rope != nullptr) {
    JsonObjectReader rr(*rope, absl::StrCat(source, ": rope_parameters"));
    LATERAL_ASSIGN_OR_RETURN(std::optional<std::string> rope_type, rr.GetOptionalString("rope_type"));
    if (rope_type.has_value() && *rope_type != "default") {
      return FieldError(source, "rope_parameters.rope_type",
                        absl::StrCat("is \"", *rope_type, "\"; only \"default\" RoPE is supported"));
    }
    LATERAL_ASSIGN_OR_RETURN(theta, rr.GetOptionalDouble("rope_theta"));
  }
  for (const char* key : {"rope_theta", "theta"}) {
    if (theta.has_value()) break;
    LATERAL_ASSIGN_OR_RETURN(theta, r.GetOptionalDouble(key));
  }
  c.rope_theta = theta.value_or(1e6);
  if (!(c.rope_theta > 1.0)) return FieldError(source, "rope_theta", "must be greater than 1");

  // tie_embedding (original key) overrides tie_word_embeddings.
  LATERAL_ASSIGN_OR_RETURN(std::optional<bool> tie, r.GetOptionalBool("tie_embedding"));
  if (!tie.has_value()) {
    LATERAL_ASSIGN_OR_RETURN(tie, r.GetOptionalBool("tie_word_embeddings"));
  }
  c.tie_word_embeddings = tie.value_or(true);

  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> max_pos, r.GetOptionalInt("max_position_embeddings"));
  c.max_position_embeddings = static_cast<int>(max_pos.value_or(128000));

  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> bos, r.GetOptionalInt("bos_token_id"));
  if (bos.has_value()) c.bos_token_id = static_cast<int>(*bos);
  LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> pad, r.GetOptionalInt("pad_token_id"));
  if (pad.has_value()) c.pad_token_id = static_cast<int>(*pad);
  LATERAL_ASSIGN_OR_RETURN(c.eos_token_ids, ParseTokenIds(r, "eos_token_id"));

  // FFN width. block_ff_dim (original key) takes precedence over intermediate_size.
  LATERAL_ASSIGN_OR_RETURN(int raw_ffn, RequirePositive(r, {"block_ff_dim", "intermediate_size"}, 1 << 20));
  if (is_moe) {
    c.ffn_size = raw_ffn;  // lfm2_moe uses intermediate_size as is
  } else {
    LATERAL_ASSIGN_OR_RETURN(std::optional<bool> auto_adjust, r.GetOptionalBool("block_auto_adjust_ff_dim"));
    LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> multiple_of, r.GetOptionalInt("block_multiple_of"));
    std::optional<double> multiplier = 1.0;
    if (r.object().contains("block_ffn_dim_multiplier")) {  // an explicit null means none
      LATERAL_ASSIGN_OR_RETURN(multiplier, r.GetOptionalDouble("block_ffn_dim_multiplier"));
    }
    int m = static_cast<int>(multiple_of.value_or(256));
    if (m <= 0) return FieldError(source, "block_multiple_of", "must be positive");
    c.ffn_size = AdjustedFfnSize(raw_ffn, auto_adjust.value_or(true), multiplier, m);
    if (c.ffn_size <= 0) return FieldError(source, "intermediate_size", "gives an empty FFN");
  }

  if (is_moe) {
    MoeConfig moe;
    LATERAL_ASSIGN_OR_RETURN(moe.num_experts, RequirePositive(r, {"num_experts"}, 4096));
    LATERAL_ASSIGN_OR_RETURN(moe.num_experts_per_token, RequirePositive(r, {"num_experts_per_tok"}, 4096));
    if (moe.num_experts_per_token > moe.num_experts) {
      return FieldError(source, "num_experts_per_tok", "exceeds num_experts");
    }
    LATERAL_ASSIGN_OR_RETURN(moe.expert_ffn_size, RequirePositive(r, {"moe_intermediate_size"}, 1 << 20));
    LATERAL_ASSIGN_OR_RETURN(std::optional<int64_t> dense, r.GetOptionalInt("num_dense_layers"));
    moe.num_dense_layers = static_cast<int>(dense.value_or(2));
    if (moe.num_dense_layers < 0 || moe.num_dense_layers > c.num_layers) {
      return FieldError(source, "num_dense_layers", "must be between 0 and num_hidden_layers");
    }
    LATERAL_ASSIGN_OR_RETURN(std::optional<bool> bias, r.GetOptionalBool("use_expert_bias"));
    moe.use_expert_bias = bias.value_or(true);
    LATERAL_ASSIGN_OR_RETURN(std::optional<bool> norm, r.GetOptionalBool("norm_topk_prob"));
    moe.normalize_top_k = norm.value_or(true);
    LATERAL_ASSIGN_OR_RETURN(std::optional<double> scale, r.GetOptionalDouble("routed_scaling_factor"));
    moe.routed_scaling_factor = static_cast<float>(scale.value_or(1.0));
    c.moe = moe;
  }
  return c;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& model_dir) {
  std::string path = absl::StrCat(model_dir, "/config.json");
  LATERAL_ASSIGN_OR_RETURN(Json json, ReadJsonFile(path));
  return ParseModelConfig(json, path);
}

}  // namespace lateral

// The architecture of an LFM2-family checkpoint, read from its config.json.
//
// ModelConfig holds every field that changes the math, already resolved:
// layer kinds from layer_types or full_attn_idxs, the FFN width after the
// auto-adjust rule, RoPE theta from whichever key the file uses, MoE routing.
// Parsing validates shapes against each other so that the loader and the
// forward pass can trust them. See shared/reference/LFM2.md §2 and §7.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace lateral {

enum class LayerKind { kConv, kAttention };

struct MoeConfig {
  int num_experts = 0;
  int num_experts_per_token = 0;
  int expert_ffn_size = 0;        // moe_intermediate_size
  int num_dense_layers = 0;       // leading layers with a dense FFN
  bool use_expert_bias = true;    // bias decides which experts, not their weights
  bool normalize_top_k = true;    // norm_topk_prob
  float routed_scaling_factor = 1.0f;
};

struct ModelConfig {
  std::string model_type;  // "lfm2" or "lfm2_moe"
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  std::vector<LayerKind> layer_kinds;  // one per layer
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int ffn_size = 0;  // dense FFN width after the auto-adjust rule
  int conv_kernel = 3;  // conv_L_cache
  bool conv_bias = false;
  float norm_eps = 1e-5f;
  double rope_theta = 1e6;
  bool tie_word_embeddings = true;
  int max_position_embeddings = 128000;
  std::optional<int> bos_token_id;
  std::vector<int> eos_token_ids;
  std::optional<int> pad_token_id;
  std::optional<MoeConfig> moe;  // set for lfm2_moe

  bool IsMoeLayer(int layer) const { return moe.has_value() && layer >= moe->num_dense_layers; }
  int NumAttentionLayers() const;
};

// Parses a config.json object. `source` names the file in errors.
absl::StatusOr<ModelConfig> ParseModelConfig(const Json& json, const std::string& source);
// Reads DIR/config.json.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& model_dir);

// The dense FFN width rule of Lfm2MLP (LFM2.md §2.2), exposed for tests.
int AdjustedFfnSize(int raw, bool auto_adjust, std::optional<double> multiplier, int multiple_of);

}  // namespace lateral

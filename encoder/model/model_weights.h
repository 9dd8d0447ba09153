// Every weight of an LFM2 / LFM2-MoE model, checked against its ModelConfig.
//
// LoadModelWeights resolves the tensor-name prefix (`model.` for causal LMs,
// none for LFM2-ColBERT trunks, `lfm2.` for LFM2.5 encoders), checks every
// shape, and fails with the checkpoint and tensor named when one is missing or
// misshapen. ModelWeights owns the Checkpoint, so borrowed tensors stay valid.
// The load precision picks the storage of the large matrices (projections,
// feed-forward, LM head; see encoder/kernels/precision.h); norms, conv
// kernels, biases and the MoE router always load as float32.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/kernels/precision.h"
#include "encoder/model/checkpoint.h"
#include "encoder/model/model_config.h"
#include "encoder/model/weight_tensor.h"

namespace lateral {

struct ShortConvWeights {
  WeightTensor in_proj;       // [3H, H]: rows B, then C, then x
  WeightTensor in_proj_bias;  // [3H] or empty
  WeightTensor kernel;        // [H, L]: tap L-1 multiplies the newest token
  WeightTensor kernel_bias;   // [H] or empty
  WeightTensor out_proj;      // [H, H]
  WeightTensor out_proj_bias; // [H] or empty
};

struct AttentionWeights {
  WeightTensor q_proj;    // [n_h*d, H]
  WeightTensor k_proj;    // [n_kv*d, H]
  WeightTensor v_proj;    // [n_kv*d, H]
  WeightTensor out_proj;  // [H, n_h*d]
  WeightTensor q_norm;    // [d], shared by all heads
  WeightTensor k_norm;    // [d]
};

struct FeedForwardWeights {
  WeightTensor w1;  // gate [ff, H]
  WeightTensor w3;  // up   [ff, H]
  WeightTensor w2;  // down [H, ff]
};

struct MoeWeights {
  WeightTensor router;       // [E, H]
  WeightTensor expert_bias;  // [E] or empty
  std::vector<FeedForwardWeights> experts;
};

struct LayerWeights {
  LayerKind kind = LayerKind::kConv;
  WeightTensor operator_norm;  // [H]
  WeightTensor ffn_norm;       // [H]
  ShortConvWeights conv;       // when kind == kConv
  AttentionWeights attention;  // when kind == kAttention
  FeedForwardWeights ffn;      // dense layers
  std::optional<MoeWeights> moe;  // sparse layers of lfm2_moe
};

struct ModelWeights {
  std::unique_ptr<Checkpoint> checkpoint;  // owns the mappings borrowed tensors point into
  WeightTensor embed_tokens;  // [V, H]
  WeightTensor final_norm;    // [H] (embedding_norm)
  WeightTensor lm_head;       // [V, H]; empty when tied to embed_tokens
  std::vector<LayerWeights> layers;
  std::string tensor_prefix;  // the prefix found in the checkpoint
  Precision precision = Precision::kF32;  // storage of the large matrices

  const WeightTensor& output_embedding() const { return lm_head.empty() ? embed_tokens : lm_head; }
};

// The precision used when none is asked for: bf16 when the checkpoint's
// embedding is stored as bf16 and the active kernel tier has AVX512_BF16
// (kernels::Tier::kAvx512 or above), else f32 (the reference numerics).
Precision DefaultPrecision(const Checkpoint& checkpoint);

// Loads and checks all weights of `config` from `checkpoint`.
absl::StatusOr<ModelWeights> LoadModelWeights(const ModelConfig& config,
                                              std::unique_ptr<Checkpoint> checkpoint,
                                              Precision precision = Precision::kF32);

}  // namespace lateral

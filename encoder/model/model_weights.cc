#include "encoder/model/model_weights.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "encoder/kernels/kernel_tier.h"

namespace lateral {
namespace {

class WeightReader {
 public:
  WeightReader(const Checkpoint& ckpt, std::string prefix, Precision precision)
      : ckpt_(ckpt), prefix_(std::move(prefix)), precision_(precision) {}

  Precision precision() const { return precision_; }

  // Loads `prefix + name` and checks its shape.
  absl::StatusOr<WeightTensor> Load(const std::string& name, std::vector<int64_t> shape) const {
    return LoadFullName(prefix_ + name, std::move(shape));
  }

  // A large matrix of a matrix product, in the storage of the load precision.
  absl::StatusOr<WeightTensor> LoadMatrix(const std::string& name, std::vector<int64_t> shape) const {
    return LoadFullName(prefix_ + name, std::move(shape), precision_);
  }

  absl::StatusOr<WeightTensor> LoadFullName(const std::string& full, std::vector<int64_t> shape,
                                            Precision precision = Precision::kF32) const {
    LATERAL_ASSIGN_OR_RETURN(const TensorView* view, ckpt_.Get(full));
    if (view->shape != shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          ckpt_.description(), ": tensor \"", full, "\" has shape [", absl::StrJoin(view->shape, ", "),
          "], expected [", absl::StrJoin(shape, ", "), "] from config.json"));
    }
    absl::StatusOr<WeightTensor> t = WeightTensor::FromViewAs(*view, precision);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ckpt_.description(), ": tensor \"", full, "\": ", t.status().message()));
    }
    return t;
  }

  // Loads when present; an empty tensor otherwise.
  absl::StatusOr<WeightTensor> LoadOptional(const std::string& name, std::vector<int64_t> shape) const {
    if (!ckpt_.Contains(prefix_ + name)) return WeightTensor();
    return Load(name, std::move(shape));
  }

  bool Contains(const std::string& name) const { return ckpt_.Contains(prefix_ + name); }

  // Conv kernels are stored [H, 1, L] by PyTorch and [H, L] by some converters.
  absl::StatusOr<WeightTensor> LoadConvKernel(const std::string& name, int64_t h, int64_t l) const {
    const std::string full = prefix_ + name;
    LATERAL_ASSIGN_OR_RETURN(const TensorView* view, ckpt_.Get(full));
    if (view->shape == std::vector<int64_t>{h, 1, l} || view->shape == std::vector<int64_t>{h, l}) {
      LATERAL_ASSIGN_OR_RETURN(WeightTensor t, WeightTensor::FromView(*view));
      if (t.shape().size() == 2) return t;
      std::vector<float> values(t.data(), t.data() + t.size());
      return WeightTensor::FromValues({h, l}, std::move(values));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        ckpt_.description(), ": tensor \"", full, "\" has shape [", absl::StrJoin(view->shape, ", "),
        "], expected [", h, ", 1, ", l, "] (hidden_size, 1, conv_L_cache)"));
  }

 private:
  const Checkpoint& ckpt_;
  std::string prefix_;
  Precision precision_;
};

absl::StatusOr<FeedForwardWeights> LoadFeedForward(const WeightReader& r, const std::string& base,
                                                   int64_t h, int64_t ff) {
  FeedForwardWeights f;
  LATERAL_ASSIGN_OR_RETURN(f.w1, r.LoadMatrix(base + "w1.weight", {ff, h}));
  LATERAL_ASSIGN_OR_RETURN(f.w3, r.LoadMatrix(base + "w3.weight", {ff, h}));
  LATERAL_ASSIGN_OR_RETURN(f.w2, r.LoadMatrix(base + "w2.weight", {h, ff}));
  return f;
}

// Newer transformers can save experts fused as gate_up_proj [E, 2I, H] and
// down_proj [E, H, I]; split them into per-expert matrices.
absl::StatusOr<std::vector<FeedForwardWeights>> LoadFusedExperts(const WeightReader& r,
                                                                 const std::string& base, int64_t e,
                                                                 int64_t h, int64_t ff) {
  LATERAL_ASSIGN_OR_RETURN(WeightTensor gate_up, r.Load(base + "experts.gate_up_proj", {e, 2 * ff, h}));
  LATERAL_ASSIGN_OR_RETURN(WeightTensor down, r.Load(base + "experts.down_proj", {e, h, ff}));
  std::vector<FeedForwardWeights> experts(e);
  for (int64_t i = 0; i < e; ++i) {
    const float* gu = gate_up.data() + i * 2 * ff * h;
    const float* d = down.data() + i * h * ff;
    experts[i].w1 = WeightTensor::FromValuesAs({ff, h}, gu, r.precision());
    experts[i].w3 = WeightTensor::FromValuesAs({ff, h}, gu + ff * h, r.precision());
    experts[i].w2 = WeightTensor::FromValuesAs({h, ff}, d, r.precision());
  }
  return experts;
}

absl::StatusOr<std::string> FindPrefix(const Checkpoint& ckpt) {
  for (const char* prefix : {"model.", "", "lfm2.", "lfm.", "model.model."}) {
    if (ckpt.Contains(absl::StrCat(prefix, "embed_tokens.weight"))) return std::string(prefix);
  }
  return absl::NotFoundError(absl::StrCat(
      ckpt.description(),
      ": no embedding tensor found (looked for model.embed_tokens.weight, embed_tokens.weight, "
      "lfm2.embed_tokens.weight); is this an LFM2 checkpoint?"));
}

}  // namespace

Precision DefaultPrecision(const Checkpoint& checkpoint) {
  if (kernels::ActiveTier() < kernels::Tier::kAvx512) return Precision::kF32;
  for (const std::string& name : checkpoint.Names()) {
    if (!absl::EndsWith(name, "embed_tokens.weight")) continue;
    absl::StatusOr<const TensorView*> view = checkpoint.Get(name);
    if (view.ok() && (*view)->dtype == DType::kBF16) return Precision::kBf16;
    break;
  }
  return Precision::kF32;
}

absl::StatusOr<ModelWeights> LoadModelWeights(const ModelConfig& c, std::unique_ptr<Checkpoint> checkpoint,
                                              Precision precision) {
  ModelWeights w;
  w.precision = precision;
  LATERAL_ASSIGN_OR_RETURN(w.tensor_prefix, FindPrefix(*checkpoint));
  WeightReader r(*checkpoint, w.tensor_prefix, precision);
  const int64_t h = c.hidden_size, v = c.vocab_size, d = c.head_dim;
  {
    // The embedding serves row lookups in a float form: at int8 / q4 it stays
    // bf16 (when shipped so) or f32, and gains a quantised form below if it is the head.
    LATERAL_ASSIGN_OR_RETURN(const TensorView* view, checkpoint->Get(w.tensor_prefix + "embed_tokens.weight"));
    Precision embed = precision;
    if (precision == Precision::kInt8 || precision == Precision::kQ4) {
      embed = view->dtype == DType::kBF16 ? Precision::kBf16 : Precision::kF32;
    }
    LATERAL_ASSIGN_OR_RETURN(w.embed_tokens, r.LoadFullName(w.tensor_prefix + "embed_tokens.weight", {v, h}, embed));
  }
  LATERAL_ASSIGN_OR_RETURN(w.final_norm, r.Load("embedding_norm.weight", {h}));
  // Without lm_head.weight the head is tied to the embeddings, or absent for
  // encoder trunks (LFM2-ColBERT); Lfm2Model::has_lm_head() tells them apart.
  if (checkpoint->Contains("lm_head.weight")) {
    LATERAL_ASSIGN_OR_RETURN(w.lm_head, r.LoadFullName("lm_head.weight", {v, h}, precision));
  } else if (c.tie_word_embeddings && precision == Precision::kInt8) {
    w.embed_tokens.AddInt8Form();
  } else if (c.tie_word_embeddings && precision == Precision::kQ4) {
    w.embed_tokens.AddQ4Form();
  }
  w.layers.resize(c.num_layers);
  for (int i = 0; i < c.num_layers; ++i) {
    LayerWeights& L = w.layers[i];
    L.kind = c.layer_kinds[i];
    const std::string base = absl::StrCat("layers.", i, ".");
    LATERAL_ASSIGN_OR_RETURN(L.operator_norm, r.Load(base + "operator_norm.weight", {h}));
    LATERAL_ASSIGN_OR_RETURN(L.ffn_norm, r.Load(base + "ffn_norm.weight", {h}));
    if (L.kind == LayerKind::kConv) {
      ShortConvWeights& cw = L.conv;
      LATERAL_ASSIGN_OR_RETURN(cw.in_proj, r.LoadMatrix(base + "conv.in_proj.weight", {3 * h, h}));
      LATERAL_ASSIGN_OR_RETURN(cw.out_proj, r.LoadMatrix(base + "conv.out_proj.weight", {h, h}));
      LATERAL_ASSIGN_OR_RETURN(cw.kernel, r.LoadConvKernel(base + "conv.conv.weight", h, c.conv_kernel));
      if (c.conv_bias) {
        LATERAL_ASSIGN_OR_RETURN(cw.in_proj_bias, r.Load(base + "conv.in_proj.bias", {3 * h}));
        LATERAL_ASSIGN_OR_RETURN(cw.out_proj_bias, r.Load(base + "conv.out_proj.bias", {h}));
        LATERAL_ASSIGN_OR_RETURN(cw.kernel_bias, r.Load(base + "conv.conv.bias", {h}));
      }
    } else {
      AttentionWeights& a = L.attention;
      const int64_t q_width = int64_t{c.num_heads} * d, kv_width = int64_t{c.num_kv_heads} * d;
      LATERAL_ASSIGN_OR_RETURN(a.q_proj, r.LoadMatrix(base + "self_attn.q_proj.weight", {q_width, h}));
      LATERAL_ASSIGN_OR_RETURN(a.k_proj, r.LoadMatrix(base + "self_attn.k_proj.weight", {kv_width, h}));
      LATERAL_ASSIGN_OR_RETURN(a.v_proj, r.LoadMatrix(base + "self_attn.v_proj.weight", {kv_width, h}));
      LATERAL_ASSIGN_OR_RETURN(a.out_proj, r.LoadMatrix(base + "self_attn.out_proj.weight", {h, q_width}));
      LATERAL_ASSIGN_OR_RETURN(a.q_norm, r.Load(base + "self_attn.q_layernorm.weight", {d}));
      LATERAL_ASSIGN_OR_RETURN(a.k_norm, r.Load(base + "self_attn.k_layernorm.weight", {d}));
    }
    if (c.IsMoeLayer(i)) {
      const MoeConfig& m = *c.moe;
      MoeWeights moe;
      const std::string ff = base + "feed_forward.";
      LATERAL_ASSIGN_OR_RETURN(moe.router, r.Load(ff + "gate.weight", {m.num_experts, h}));
      if (m.use_expert_bias) {
        LATERAL_ASSIGN_OR_RETURN(moe.expert_bias, r.Load(ff + "expert_bias", {m.num_experts}));
      }
      if (r.Contains(ff + "experts.gate_up_proj")) {
        LATERAL_ASSIGN_OR_RETURN(moe.experts,
                                 LoadFusedExperts(r, ff, m.num_experts, h, m.expert_ffn_size));
      } else {
        for (int e = 0; e < m.num_experts; ++e) {
          LATERAL_ASSIGN_OR_RETURN(
              FeedForwardWeights expert,
              LoadFeedForward(r, absl::StrCat(ff, "experts.", e, "."), h, m.expert_ffn_size));
          moe.experts.push_back(std::move(expert));
        }
      }
      L.moe = std::move(moe);
    } else {
      LATERAL_ASSIGN_OR_RETURN(L.ffn, LoadFeedForward(r, base + "feed_forward.", h, c.ffn_size));
    }
  }
  w.checkpoint = std::move(checkpoint);
  return w;
}

}  // namespace lateral

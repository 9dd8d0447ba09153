#include "benchmarks/model/bench_util.h"

#include <time.h>

#include <random>

namespace lateral::bench {
namespace {

struct Cache {
  std::string dir;
  std::unique_ptr<Lfm2Model> model;
};

Cache& TheCache() {
  static Cache cache;
  return cache;
}

}  // namespace

absl::StatusOr<const Lfm2Model*> CachedModel(const std::string& dir) {
  Cache& cache = TheCache();
  if (cache.model != nullptr && cache.dir == dir) return cache.model.get();
  ReleaseCachedModel();  // free before loading: never two large models at once
  absl::StatusOr<std::unique_ptr<Lfm2Model>> model = Lfm2Model::Load(dir);
  if (!model.ok()) return model.status();
  cache.dir = dir;
  cache.model = std::move(*model);
  return cache.model.get();
}

void ReleaseCachedModel() {
  TheCache().model.reset();
  TheCache().dir.clear();
}

LayerObserver LayerTimer::Observer() {
  return [this](int layer, const float*, int64_t, int64_t) {
    const double elapsed = Since(last_);
    if (layer < 0) {
      embed_s_ += elapsed;
    } else if (layer < config_.num_layers) {
      (config_.layer_kinds[layer] == LayerKind::kAttention ? attention_s_ : conv_s_) += elapsed;
    } else {
      head_s_ += elapsed;  // the final norm: a rounding error, charged to the head
    }
    last_ = Clock::now();
  };
}

double DecodeWeightBytesPerToken(const Lfm2Model& model) {
  const ModelWeights& w = model.weights();
  int64_t floats = w.output_embedding().size() + w.final_norm.size();
  for (const LayerWeights& layer : w.layers) {
    floats += layer.operator_norm.size() + layer.ffn_norm.size();
    floats += layer.ffn.w1.size() + layer.ffn.w2.size() + layer.ffn.w3.size();
    if (layer.kind == LayerKind::kConv) {
      floats += layer.conv.in_proj.size() + layer.conv.out_proj.size() + layer.conv.kernel.size();
    } else {
      const AttentionWeights& a = layer.attention;
      floats += a.q_proj.size() + a.k_proj.size() + a.v_proj.size() + a.out_proj.size() +
                a.q_norm.size() + a.k_norm.size();
    }
  }
  return 4.0 * static_cast<double>(floats);
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<int32_t> RandomIds(int64_t count, int32_t first, int32_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> dist(first, vocab - 1);
  std::vector<int32_t> ids(count);
  for (int32_t& id : ids) id = dist(rng);
  return ids;
}

}  // namespace lateral::bench

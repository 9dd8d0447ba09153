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

std::optional<Precision>& ThePrecision() {
  static std::optional<Precision> precision;
  return precision;
}

}  // namespace

void SetBenchPrecision(std::optional<Precision> precision) {
  ThePrecision() = precision;
  ReleaseCachedModel();
}
std::optional<Precision> BenchPrecision() { return ThePrecision(); }
ModelLoadOptions BenchLoadOptions() {
  ModelLoadOptions options;
  options.precision = ThePrecision();
  return options;
}

absl::StatusOr<const Lfm2Model*> CachedModel(const std::string& dir) {
  Cache& cache = TheCache();
  if (cache.model != nullptr && cache.dir == dir) return cache.model.get();
  ReleaseCachedModel();  // free before loading: never two large models at once
  absl::StatusOr<std::unique_ptr<Lfm2Model>> model = Lfm2Model::Load(dir, BenchLoadOptions());
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
  // Matrices in the storage the products read (f32, bf16, or int8 + scales);
  // norms and conv kernels are f32.
  const ModelWeights& w = model.weights();
  int64_t bytes = w.output_embedding().MatMulBytes() + 4 * w.final_norm.size();
  for (const LayerWeights& layer : w.layers) {
    bytes += 4 * (layer.operator_norm.size() + layer.ffn_norm.size());
    bytes += layer.ffn.w1.MatMulBytes() + layer.ffn.w2.MatMulBytes() + layer.ffn.w3.MatMulBytes();
    if (layer.kind == LayerKind::kConv) {
      bytes += layer.conv.in_proj.MatMulBytes() + layer.conv.out_proj.MatMulBytes() + 4 * layer.conv.kernel.size();
    } else {
      const AttentionWeights& a = layer.attention;
      bytes += a.q_proj.MatMulBytes() + a.k_proj.MatMulBytes() + a.v_proj.MatMulBytes() +
               a.out_proj.MatMulBytes() + 4 * (a.q_norm.size() + a.k_norm.size());
    }
  }
  return static_cast<double>(bytes);
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

// Query kernels, single-threaded: stage-1 centroid scores (float sgemm vs the
// int8 CentroidScorer at each SIMD level) and exact MaxSim (BLAS MaxSim vs
// MaxSimKernel at each level). Shapes are ColBERT's: dim 128, 32 query tokens,
// 65536 centroids, documents of 30-300 tokens.
//
//   query_kernels_bench --benchmark_min_time=0.2
//
// SIMD levels the CPU lacks report an error row instead of a time.
#include <cblas.h>

#include <cmath>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "query/kernels/centroid_scores.h"
#include "query/kernels/cpu_features.h"
#include "query/kernels/maxsim_kernels.h"
#include "query/maxsim.h"

namespace lateral {
namespace {

constexpr int kDim = 128;
constexpr int64_t kQueryTokens = 32;

std::vector<float> UnitVectors(int64_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n * dim);
  for (int64_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int k = 0; k < dim; ++k) norm += std::pow(v[i * dim + k] = dist(rng), 2);
    for (int k = 0; k < dim; ++k) v[i * dim + k] = static_cast<float>(v[i * dim + k] / std::sqrt(norm));
  }
  return v;
}

// Forces `level` for one benchmark; false (and an error row) where the CPU lacks it.
bool UseLevel(benchmark::State& state, int level) {
  const auto wanted = static_cast<SimdLevel>(level);
  if (wanted > SupportedSimdLevel()) {
    state.SkipWithError("SIMD level not supported by this CPU");
    return false;
  }
  SetSimdLevelForTesting(wanted);
  state.SetLabel(SimdLevelName(wanted));
  return true;
}

// The reference: one single-threaded float32 sgemm, [K, 128] x [128, 32].
void BM_CentroidScoresSgemm(benchmark::State& state) {
  openblas_set_num_threads(1);
  const int64_t k = state.range(0);
  const auto centroids = UnitVectors(k, kDim, 1);
  const auto query = UnitVectors(kQueryTokens, kDim, 2);
  std::vector<float> out(k * kQueryTokens);
  for (auto _ : state) {
    ExactCentroidScores(centroids.data(), k, kDim, query.data(), kQueryTokens, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel("float32 cblas_sgemm");
  state.SetItemsProcessed(state.iterations() * k * kQueryTokens);
}
BENCHMARK(BM_CentroidScoresSgemm)->Arg(65536)->Unit(benchmark::kMillisecond);

// Args: {K, SIMD level}.
void BM_CentroidScoresInt8(benchmark::State& state) {
  const int64_t k = state.range(0);
  const auto centroids = UnitVectors(k, kDim, 1);
  const auto query = UnitVectors(kQueryTokens, kDim, 2);
  const CentroidScorer scorer(centroids.data(), k, kDim);
  std::vector<float> out(k * kQueryTokens);
  if (!UseLevel(state, static_cast<int>(state.range(1)))) return;
  for (auto _ : state) {
    scorer.Scores(query.data(), kQueryTokens, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  ClearSimdLevelForTesting();
  state.SetItemsProcessed(state.iterations() * k * kQueryTokens);
}
BENCHMARK(BM_CentroidScoresInt8)
    ->ArgsProduct({{65536}, {0, 1, 2}})
    ->ArgNames({"k", "level"})
    ->Unit(benchmark::kMillisecond);

// Today's MaxSim: sgemm into a [32, nd] buffer, then a max per row.
void BM_MaxSimBlas(benchmark::State& state) {
  openblas_set_num_threads(1);
  const int64_t nd = state.range(0);
  const auto query = UnitVectors(kQueryTokens, kDim, 3);
  const auto doc = UnitVectors(nd, kDim, 4);
  const TokenMatrix q{query.data(), kQueryTokens, kDim}, d{doc.data(), nd, kDim};
  for (auto _ : state) benchmark::DoNotOptimize(MaxSim(q, d));
  state.SetLabel("cblas_sgemm + max");
  state.SetItemsProcessed(state.iterations() * nd);
}
BENCHMARK(BM_MaxSimBlas)->Arg(30)->Arg(100)->Arg(300)->ArgName("nd");

// Args: {nd, SIMD level}.
void BM_MaxSimKernel(benchmark::State& state) {
  const int64_t nd = state.range(0);
  const auto query = UnitVectors(kQueryTokens, kDim, 3);
  const auto doc = UnitVectors(nd, kDim, 4);
  if (!UseLevel(state, static_cast<int>(state.range(1)))) return;
  for (auto _ : state) benchmark::DoNotOptimize(MaxSimKernel(query.data(), kQueryTokens, doc.data(), nd, kDim));
  ClearSimdLevelForTesting();
  state.SetItemsProcessed(state.iterations() * nd);
}
BENCHMARK(BM_MaxSimKernel)->ArgsProduct({{30, 100, 300}, {0, 1, 2}})->ArgNames({"nd", "level"});

}  // namespace
}  // namespace lateral

BENCHMARK_MAIN();

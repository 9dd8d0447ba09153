// Reference points for judging the forward pass on this machine.
//
// 1. Batched products (prefill, encoding): raw OpenBLAS sgemm GFLOP/s on one
//    thread at LFM2-350M shapes, and the same through lateral's
//    MatMulTransposed (sgemm split over oneTBB tasks, all cores). The weights
//    stay in cache across iterations here; these are compute-bound anyway.
// 2. Decode products (M = 1): matrix-vector products whose weights must come
//    from DRAM, as in a real decode step that streams every weight once. Each
//    iteration uses the next of enough weight copies to fill 1 GiB, so no
//    iteration finds its matrix in cache (the VM reports a host L3 of 480 MiB).
//    Compares sgemm with M = 1 (what MatMulTransposed calls) against sgemv.
// 3. Plain memory read bandwidth, the ceiling for decode.
// 4. The element-wise steps of a 512-token prefill layer (SiLU-gate, RMSNorm),
//    to set against its GEMM time: they run on one thread, unvectorised.
// All products use the PyTorch weight layout: y = x · wᵀ, w is [N, K].
//
// Shapes (M rows of activations, K inputs, N outputs):
//   256 x 1024 -> 4608   FFN gate/up at a 256-token batch
//   256 x 4608 -> 1024   FFN down
//   256 x 1024 -> 3072   conv in_proj
//   1 x 1024 -> 4608     FFN gate/up in decode
//   1 x 1024 -> 65536    the LM head in decode
//   1 x 2048 -> 8192     LFM2-1.2B FFN gate/up in decode
#include <cblas.h>

#include <algorithm>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/numeric_formats.h"
#include "encoder/kernels/bf16_gemm.h"
#include "encoder/kernels/int8_gemm.h"
#include "encoder/kernels/q4_gemm.h"
#include "encoder/model/tensor_ops.h"
#include "encoder/model/weight_tensor.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_reduce.h"

namespace lateral::bench {
namespace {

constexpr int64_t kStreamBytes = int64_t{1} << 30;

std::vector<float> RandomFloats(int64_t n, uint64_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void SetRates(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * m * k * n * iters * 1e-9, benchmark::Counter::kIsRate);
  state.counters["weight_GBps"] = benchmark::Counter(4.0 * k * n * iters * 1e-9, benchmark::Counter::kIsRate);
}

// --- 1. batched products -------------------------------------------------

// cblas_sgemm on the calling thread (OpenBLAS set to one thread), as each
// MatMulTransposed task calls it.
void BM_Sgemm1Thread(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  SetUpBlasThreading();
  const std::vector<float> x = RandomFloats(m * k, 1), w = RandomFloats(n * k, 2);
  std::vector<float> y(m * n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f,
                y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  SetRates(state, m, k, n);
}

// The forward pass's own entry point, with oneTBB's default parallelism.
void BM_MatMulTransposed(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> x = RandomFloats(m * k, 1);
  const WeightTensor w = WeightTensor::FromValues({n, k}, RandomFloats(n * k, 2));
  std::vector<float> y(m * n);
  for (auto _ : state) {
    MatMulTransposed(x.data(), m, k, w, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  SetRates(state, m, k, n);
}

BENCHMARK(BM_Sgemm1Thread)
    ->ArgNames({"M", "K", "N"})
    ->Args({256, 1024, 4608})
    ->Args({256, 4608, 1024})
    ->Args({256, 1024, 3072})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK(BM_MatMulTransposed)
    ->ArgNames({"M", "K", "N"})
    ->Args({256, 1024, 4608})
    ->Args({256, 4608, 1024})
    ->Args({256, 1024, 3072})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

// The encoder/kernels products at the same shapes, at the active tier with
// oneTBB's default parallelism: 0 = bf16 rounded activations (vdpbf16ps),
// 1 = bf16 split (hi + lo) activations, 2 = int8 (vpdpbusd), 3 = bf16 weights
// widened to f32 FMA with f32 activations (the default). Weights stay in
// cache across iterations (weight_GBps counts 4 bytes per weight regardless).
void BM_KernelGemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2), mode = state.range(3);
  const std::vector<float> x = RandomFloats(m * k, 1), wf = RandomFloats(n * k, 2);
  std::vector<uint16_t> wb(n * k);
  for (int64_t i = 0; i < n * k; ++i) wb[i] = FloatToBf16(wf[i]);
  const kernels::Int8Matrix wq = kernels::QuantizeInt8(wf.data(), n, k, k);
  std::vector<float> y(m * n);
  for (auto _ : state) {
    if (mode == 2) {
      kernels::Int8Gemm(x.data(), m, k, k, wq, y.data(), n, false);
    } else {
      kernels::Bf16Gemm(kernels::ActiveTier(),
                        mode == 0   ? kernels::Bf16Activations::kRounded
                        : mode == 1 ? kernels::Bf16Activations::kSplit
                                    : kernels::Bf16Activations::kF32,
                        x.data(), m, k, k, wb.data(), n, k, y.data(), n, false);
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetRates(state, m, k, n);
}

BENCHMARK(BM_KernelGemm)
    ->ArgNames({"M", "K", "N", "mode"})
    ->ArgsProduct({{256}, {1024}, {4608}, {0, 1, 2, 3}})
    ->Args({256, 4608, 1024, 0})
    ->Args({256, 4608, 1024, 2})
    ->Args({256, 4608, 1024, 3})
    ->Args({4096, 1024, 4608, 2})
    ->Args({4096, 1024, 4608, 3})
    ->Args({1, 1024, 65536, 0})
    ->Args({1, 1024, 65536, 2})
    ->Args({1, 1024, 65536, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.5);

// --- 2. decode products, weights from DRAM --------------------------------

enum class Kernel { kSgemm1Thread, kSgemv1Thread, kMatMulTransposed, kSgemvSplit };

void BM_Decode(benchmark::State& state, Kernel kernel) {
  const int64_t k = state.range(0), n = state.range(1);
  SetUpBlasThreading();
  const int64_t copies = std::max<int64_t>(2, kStreamBytes / (4 * k * n));
  std::vector<WeightTensor> weights;
  for (int64_t c = 0; c < copies; ++c) {
    weights.push_back(WeightTensor::FromValues({n, k}, RandomFloats(k * n, 2 + c)));
  }
  const std::vector<float> x = RandomFloats(k, 1);
  std::vector<float> y(n);
  int64_t next = 0;
  for (auto _ : state) {
    const WeightTensor& w = weights[next];
    next = (next + 1) % copies;
    switch (kernel) {
      case Kernel::kSgemm1Thread:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, n, k, 1.0f, x.data(), k, w.data(), k,
                    0.0f, y.data(), n);
        break;
      case Kernel::kSgemv1Thread:
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w.data(), k, x.data(), 1, 0.0f, y.data(), 1);
        break;
      case Kernel::kMatMulTransposed:
        MatMulTransposed(x.data(), 1, k, w, y.data());
        break;
      case Kernel::kSgemvSplit:
        // What a decode-aware MatMulTransposed could do: sgemv per slice of
        // output features, slices spread over oneTBB.
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 256), [&](const tbb::blocked_range<int64_t>& r) {
          cblas_sgemv(CblasRowMajor, CblasNoTrans, r.size(), k, 1.0f, w.data() + r.begin() * k, k, x.data(), 1,
                      0.0f, y.data() + r.begin(), 1);
        });
        break;
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetRates(state, 1, k, n);
}

void DecodeShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"K", "N"})->Args({1024, 4608})->Args({1024, 65536})->Args({2048, 8192});
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
}

BENCHMARK_CAPTURE(BM_Decode, sgemm_1thread, Kernel::kSgemm1Thread)->Apply(DecodeShapes);
BENCHMARK_CAPTURE(BM_Decode, sgemv_1thread, Kernel::kSgemv1Thread)->Apply(DecodeShapes);
BENCHMARK_CAPTURE(BM_Decode, MatMulTransposed, Kernel::kMatMulTransposed)->Apply(DecodeShapes);
BENCHMARK_CAPTURE(BM_Decode, sgemv_split_tbb, Kernel::kSgemvSplit)->Apply(DecodeShapes);

// Quantised decode products (M = 1) with weights from DRAM, through the
// kernels the model uses: 0 = int8 (Int8Gemm), 1 = q4 (Q4Gemm). Copies of
// one quantised matrix fill 1 GiB so no iteration finds its weights in
// cache. weight_GBps counts the bytes the format streams (values + scales).
void BM_QuantDecode(benchmark::State& state) {
  const int64_t k = state.range(0), n = state.range(1);
  const bool q4 = state.range(2) != 0;
  const std::vector<float> wf = RandomFloats(n * k, 2);
  const std::vector<float> x = RandomFloats(k, 1);
  std::vector<float> y(n);
  std::vector<kernels::Int8Matrix> int8;
  std::vector<kernels::Q4Matrix> q4s;
  int64_t bytes = 0;
  if (q4) {
    q4s.push_back(kernels::QuantizeQ4(wf.data(), n, k, k));
    bytes = q4s[0].Bytes();
  } else {
    int8.push_back(kernels::QuantizeInt8(wf.data(), n, k, k));
    bytes = n * (k + 4);
  }
  const int64_t copies = std::max<int64_t>(2, kStreamBytes / bytes);
  for (int64_t c = 1; c < copies; ++c) {
    if (q4) {
      q4s.push_back(q4s[0]);
    } else {
      int8.push_back(int8[0]);
    }
  }
  int64_t next = 0;
  for (auto _ : state) {
    if (q4) {
      kernels::Q4Gemm(x.data(), 1, k, k, q4s[next], y.data(), n, false);
    } else {
      kernels::Int8Gemm(x.data(), 1, k, k, int8[next], y.data(), n, false);
    }
    next = (next + 1) % copies;
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["weight_GBps"] = benchmark::Counter(static_cast<double>(bytes) * state.iterations() * 1e-9,
                                                     benchmark::Counter::kIsRate);
}

BENCHMARK(BM_QuantDecode)
    ->ArgNames({"K", "N", "q4"})
    ->ArgsProduct({{1024}, {1024, 4608, 65536}, {0, 1}})
    ->Args({4608, 1024, 0})
    ->Args({4608, 1024, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

// --- 3. memory read bandwidth ----------------------------------------------

// Sums a 1 GiB buffer, on one thread or split over oneTBB. Eight independent
// integer accumulators, so the add chain never limits the read rate.
uint64_t SumWords(const uint64_t* p, int64_t begin, int64_t end) {
  uint64_t a[8] = {};
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    for (int j = 0; j < 8; ++j) a[j] += p[i + j];
  }
  for (; i < end; ++i) a[0] += p[i];
  return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

void BM_MemoryRead(benchmark::State& state) {
  const bool parallel = state.range(0) != 0;
  const std::vector<uint64_t> buffer(kStreamBytes / 8, 1);
  const int64_t n = static_cast<int64_t>(buffer.size());
  for (auto _ : state) {
    uint64_t total = parallel ? tbb::parallel_reduce(
                                    tbb::blocked_range<int64_t>(0, n, 1 << 18), uint64_t{0},
                                    [&](const tbb::blocked_range<int64_t>& r, uint64_t acc) {
                                      return acc + SumWords(buffer.data(), r.begin(), r.end());
                                    },
                                    [](uint64_t a, uint64_t b) { return a + b; })
                              : SumWords(buffer.data(), 0, n);
    benchmark::DoNotOptimize(total);
  }
  state.counters["GBps"] = benchmark::Counter(static_cast<double>(kStreamBytes) * state.iterations() * 1e-9,
                                              benchmark::Counter::kIsRate);
}

BENCHMARK(BM_MemoryRead)->ArgName("tbb")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// --- 4. element-wise steps ---------------------------------------------------

// SiluMul over one FFN's activations at 512 tokens (512 x 4608).
void BM_SiluMul(benchmark::State& state) {
  const int64_t n = state.range(0) * state.range(1);
  std::vector<float> gate = RandomFloats(n, 1);
  const std::vector<float> up = RandomFloats(n, 2), original = gate;
  for (auto _ : state) {
    state.PauseTiming();
    std::copy(original.begin(), original.end(), gate.begin());  // keep inputs in range
    state.ResumeTiming();
    SiluMul(gate.data(), up.data(), n);
    benchmark::DoNotOptimize(gate.data());
  }
  state.counters["seconds_per_element"] =
      benchmark::Counter(static_cast<double>(n) * state.iterations(), benchmark::Counter::kIsRate |
                                                                          benchmark::Counter::kInvert);
}

// One RMSNorm of the residual stream at 512 tokens (512 x 1024).
void BM_RmsNorm(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const std::vector<float> x = RandomFloats(rows * cols, 1), weight(cols, 1.0f);
  std::vector<float> out(rows * cols);
  for (auto _ : state) {
    RmsNormRows(x.data(), rows, cols, weight.data(), 1e-5f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}

BENCHMARK(BM_SiluMul)->ArgNames({"rows", "ffn"})->Args({512, 4608})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RmsNorm)->ArgNames({"rows", "H"})->Args({512, 1024})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace lateral::bench

// model_bench: throughput of the LFM2 forward pass on real-shaped checkpoints.
//
// Checkpoints come from make_random_checkpoint (random weights cost the same
// as trained ones). Benchmarks that need a model are registered only when its
// directory is given:
//
//   model_bench --causal_model=/tmp/lb/lfm2-350m [--causal_model=/tmp/lb/lfm2-1.2b]
//               --colbert_model=/tmp/lb/lfm2-colbert-350m [--repetitions=3]
//               [Google Benchmark flags, e.g. --benchmark_filter=Decode]
//
// (or LATERAL_BENCH_CAUSAL_MODELS=dir1,dir2 and LATERAL_BENCH_COLBERT_MODEL=dir).
// Every case runs one timed iteration per repetition (each takes seconds) and
// reports the median; counters carry tokens/s and a per-layer-kind breakdown
// measured with the Forward observer. The sgemm / memory reference points need no
// model (reference_bench.cc).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "benchmarks/model/bench_util.h"
#include "common/json.h"
#include "common/safetensors.h"
#include "common/status_macros.h"
#include "encoder/colbert/colbert_encoder.h"
#include "encoder/generation/sampler.h"
#include "encoder/model/tensor_ops.h"
#include "query/maxsim.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace lateral::bench {
namespace {

using Clock = std::chrono::steady_clock;
using benchmark::Counter;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Flags {
  std::vector<std::string> causal_models;
  std::string colbert_model;
  int repetitions = 3;
  // Workload sizes; the defaults are the ones RESULTS.md reports.
  int documents = 64;
  int document_tokens = 256;
  std::vector<int> encode_batches = {1, 8, 64};
  int prefill_tokens = 512;  // llama-bench pp512
  int prompt_tokens = 16;    // decode starts after a 16-token prefill
  int decode_steps = 128;    // llama-bench tg128
  std::vector<int> threads = {2, 1};
  std::string precision = "default";  // f32 | bf16 | int8 | q4 | default
  // Retrieval agreement: a BEIR directory (corpus.jsonl, queries.jsonl) and
  // how many of its passages and queries to encode.
  std::string retrieval_corpus = "docs/sample-corpus";
  int retrieval_documents = 400;
  int retrieval_queries = 40;
};

// Plain read bandwidth of a 1 GiB buffer (larger than any cache), summed by
// `threads` oneTBB workers: the ceiling decode runs against, measured in the
// same run as decode so that both see the same machine state.
void BM_ReadBandwidth(benchmark::State& state, int threads) {
  const size_t n = size_t{1} << 27;  // 2^27 doubles = 1 GiB
  std::vector<double> buffer(n, 1.0);
  ThreadLimit limit(threads);
  for (auto _ : state) {
    const auto start = Clock::now();
    const int parts = std::max(1, threads) * 8;
    std::vector<double> sums(parts);
    tbb::parallel_for(0, parts, [&](int p) {
      const size_t begin = n / parts * p, end = p + 1 == parts ? n : n / parts * (p + 1);
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (size_t i = begin; i + 4 <= end; i += 4) {
        s0 += buffer[i];
        s1 += buffer[i + 1];
        s2 += buffer[i + 2];
        s3 += buffer[i + 3];
      }
      sums[p] = s0 + s1 + s2 + s3;
    });
    state.SetIterationTime(Since(start));
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["read_GBps"] = Counter(static_cast<double>(n * sizeof(double)) * 1e-9 * state.iterations(),
                                        Counter::kIsRate);
}

void SetCommonCounters(benchmark::State& state, const LayerTimer& timer, double per) {
  // Seconds of the whole run turned into milliseconds per `per` unit.
  const double scale = 1e3 / per;
  state.counters["conv_layers_ms"] = timer.conv_s() * scale;
  state.counters["attn_layers_ms"] = timer.attention_s() * scale;
  state.counters["head_ms"] = timer.head_s() * scale;
  state.counters["embed_ms"] = timer.embed_s() * scale;
  state.counters["tbb_concurrency"] = tbb::this_task_arena::max_concurrency();
}

// Lfm2Model::Load wall time. `cold` first drops the checkpoint's pages from
// the page cache (posix_fadvise on our own file only), so the read is from disk.
void BM_Load(benchmark::State& state, std::string dir, bool cold) {
  ReleaseCachedModel();
  for (auto _ : state) {
    if (cold) {
      const std::string path = dir + "/model.safetensors";
      const int fd = ::open(path.c_str(), O_RDONLY);
      if (fd >= 0) {
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
      }
    }
    const auto start = Clock::now();
    auto model = Lfm2Model::Load(dir, BenchLoadOptions());
    state.SetIterationTime(Since(start));
    if (!model.ok()) {
      state.SkipWithError(model.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(model->get());  // freed outside the timed part
  }
}

// ColBERT document encoding: `documents` × `document_tokens` random documents
// ([BOS, [D], random ids…]), `batch` sequences per Forward call, hidden states
// only, then the 1_Dense projection and per-token L2 normalisation. The
// skiplist is not applied: it filters outputs and costs nothing measurable.
void BM_Encode(benchmark::State& state, std::string dir, Flags flags, int batch, int threads) {
  absl::StatusOr<const Lfm2Model*> model_or = CachedModel(dir);
  if (!model_or.ok()) {
    state.SkipWithError(model_or.status().ToString().c_str());
    return;
  }
  const Lfm2Model& model = **model_or;
  auto dense_file = SafetensorsFile::Open(dir + "/1_Dense/model.safetensors");
  if (!dense_file.ok()) {
    state.SkipWithError(dense_file.status().ToString().c_str());
    return;
  }
  auto dense_view = dense_file->Get("linear.weight");
  if (!dense_view.ok()) {
    state.SkipWithError(dense_view.status().ToString().c_str());
    return;
  }
  auto dense = WeightTensor::FromView(**dense_view);
  const int64_t hidden = model.config().hidden_size, out_dim = dense->rows();
  const int32_t vocab = model.config().vocab_size;

  std::vector<std::vector<int32_t>> docs(flags.documents);
  for (int d = 0; d < flags.documents; ++d) {
    docs[d] = RandomIds(flags.document_tokens, 1000, vocab - 2, 1000 + d);
    docs[d][0] = 1;                                  // BOS
    if (flags.document_tokens > 1) docs[d][1] = vocab - 1;  // [D], 64401 in LFM2-ColBERT
  }

  ThreadLimit limit(threads);
  LayerTimer timer(model.config());
  ForwardOptions options;
  options.return_hidden_states = true;
  options.observer = timer.Observer();
  double projection_s = 0, wall_s = 0;
  int64_t tokens = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    const auto iteration_start = Clock::now();
    for (int first = 0; first < flags.documents; first += batch) {
      const int n = std::min(batch, flags.documents - first);
      std::vector<SequenceState> states;
      std::vector<SequenceInput> inputs;
      states.reserve(n);
      for (int i = 0; i < n; ++i) {
        states.push_back(model.NewState());
        inputs.push_back({&states.back(), docs[first + i], {}});
      }
      timer.Begin();
      absl::StatusOr<ForwardResult> result = model.Forward(inputs, options);
      timer.End();
      if (!result.ok()) {
        state.SkipWithError(result.status().ToString().c_str());
        return;
      }
      const auto start = Clock::now();
      const int64_t rows = result->row_offsets.back();
      std::vector<float> vectors(rows * out_dim);
      MatMulTransposed(result->hidden_states.data(), rows, hidden, *dense, vectors.data());
      for (int64_t r = 0; r < rows; ++r) {
        float* v = vectors.data() + r * out_dim;
        double sum = 0;
        for (int64_t j = 0; j < out_dim; ++j) sum += double{v[j]} * v[j];
        const float inv = static_cast<float>(1.0 / std::max(std::sqrt(sum), 1e-12));
        for (int64_t j = 0; j < out_dim; ++j) v[j] *= inv;
      }
      benchmark::DoNotOptimize(vectors.data());
      projection_s += Since(start);
      tokens += rows;
    }
    wall_s += Since(iteration_start);
  }
  state.counters["cpu_util"] = (ProcessCpuSeconds() - cpu_start) / wall_s;
  const double iterations = static_cast<double>(state.iterations());
  state.counters["tokens_per_second"] = Counter(static_cast<double>(tokens), Counter::kIsRate);
  state.counters["projection_ms"] = projection_s * 1e3 / iterations;
  SetCommonCounters(state, timer, iterations);
}

// One prompt of `tokens` random ids on a fresh state, logits of the last token
// only (what llama-bench pp512 measures).
void BM_Prefill(benchmark::State& state, std::string dir, Flags flags, int threads) {
  absl::StatusOr<const Lfm2Model*> model_or = CachedModel(dir);
  if (!model_or.ok()) {
    state.SkipWithError(model_or.status().ToString().c_str());
    return;
  }
  const Lfm2Model& model = **model_or;
  std::vector<int32_t> ids = RandomIds(flags.prefill_tokens, 1000, model.config().vocab_size, 7);
  ids[0] = 1;
  ThreadLimit limit(threads);
  LayerTimer timer(model.config());
  ForwardOptions options;
  options.return_hidden_states = false;
  options.return_last_logits = true;
  options.observer = timer.Observer();
  double wall_s = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    const auto start = Clock::now();
    SequenceState seq = model.NewState();
    timer.Begin();
    absl::StatusOr<ForwardResult> result = model.Forward({SequenceInput{&seq, ids, {}}}, options);
    timer.End();
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(result->last_logits.data());
    wall_s += Since(start);
  }
  state.counters["cpu_util"] = (ProcessCpuSeconds() - cpu_start) / wall_s;
  const double iterations = static_cast<double>(state.iterations());
  state.counters["tokens_per_second"] =
      Counter(static_cast<double>(flags.prefill_tokens) * iterations, Counter::kIsRate);
  SetCommonCounters(state, timer, iterations);
}

int32_t ArgMax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Greedy decoding: an untimed `prompt_tokens` prefill, then `decode_steps`
// single-token Forward calls with logits (llama-bench tg128). Only the decode
// steps are timed. weight_GBps is the weight bytes a step must read (in the
// storage of the load precision: f32, bf16, int8 + scales, or q4 nibbles +
// group scales)
// divided by the step time: decode is a chain of matrix-vector products, so
// this against the machine's memory bandwidth says how close to the limit it runs.
// sampled: draw with LFM2's default sampling (T 0.3, min_p 0.15, repetition
// penalty 1.05) instead of argmax; screen: with the screened LM head
// (encoder/model/screened_head.h), as GenerationSession does by default.
void BM_Decode(benchmark::State& state, std::string dir, Flags flags, int threads, bool sampled, bool screen) {
  absl::StatusOr<const Lfm2Model*> model_or = CachedModel(dir);
  if (!model_or.ok()) {
    state.SkipWithError(model_or.status().ToString().c_str());
    return;
  }
  const Lfm2Model& model = **model_or;
  std::vector<int32_t> prompt = RandomIds(flags.prompt_tokens, 1000, model.config().vocab_size, 11);
  prompt[0] = 1;
  ThreadLimit limit(threads);
  LayerTimer timer(model.config());
  ForwardOptions options;
  options.return_hidden_states = false;
  options.return_last_logits = true;
  double wall_s = 0, cpu_s = 0;
  for (auto _ : state) {
    // The prompt runs screened too: the first screened call builds the int8
    // copy of the head (once per process), which is not decode time.
    Sampler sampler{SamplingSettings{}};
    std::vector<int32_t> history = prompt;
    history.reserve(prompt.size() + flags.decode_steps + 1);
    std::optional<LogitsScreen> screen_settings;
    if (screen) screen_settings = sampler.ScreenFor(history);
    options.screen = screen_settings.has_value() ? &*screen_settings : nullptr;
    SequenceState seq = model.NewState();
    absl::StatusOr<ForwardResult> result = model.Forward({SequenceInput{&seq, prompt, {}}}, options);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    auto choose = [&](std::vector<float>& logits) {
      const int32_t token = sampled ? sampler.Next(absl::MakeSpan(logits), history) : ArgMax(logits);
      history.push_back(token);
      if (screen_settings.has_value()) screen_settings->history = history;
      return token;
    };
    int32_t next = choose(result->last_logits);
    options.observer = timer.Observer();  // time the decode steps only
    const auto start = Clock::now();
    const double cpu_start = ProcessCpuSeconds();
    for (int step = 0; step < flags.decode_steps; ++step) {
      timer.Begin();
      result = model.Forward({SequenceInput{&seq, absl::MakeConstSpan(&next, 1), {}}}, options);
      timer.End();
      if (!result.ok()) {
        state.SkipWithError(result.status().ToString().c_str());
        return;
      }
      next = choose(result->last_logits);
    }
    const double elapsed = Since(start);
    state.SetIterationTime(elapsed);
    wall_s += elapsed;
    cpu_s += ProcessCpuSeconds() - cpu_start;
    options.observer = nullptr;
  }
  state.counters["cpu_util"] = cpu_s / wall_s;
  const double tokens = static_cast<double>(flags.decode_steps) * state.iterations();
  state.counters["tokens_per_second"] = Counter(tokens, Counter::kIsRate);
  // A screened bf16 head reads its int8 copy (half the bytes) plus a few rows.
  double bytes = DecodeWeightBytesPerToken(model);
  const WeightTensor& head = model.weights().output_embedding();
  if (screen && head.storage() == WeightStorage::kBf16) bytes -= head.MatMulBytes() / 2.0;
  state.counters["weight_GBps"] = Counter(tokens * bytes * 1e-9, Counter::kIsRate);
  state.counters["weight_MB_per_token"] = bytes * 1e-6;
  SetCommonCounters(state, timer, tokens);  // per token
}

// Final hidden states of `docs` random documents of `tokens` tokens (BOS
// first), the same documents for every model of one vocabulary.
std::vector<float> DocumentHiddenStates(const Lfm2Model& m, int docs, int tokens) {
  const int32_t vocab = m.config().vocab_size;
  std::vector<SequenceState> states;
  std::vector<SequenceInput> inputs;
  std::vector<std::vector<int32_t>> ids(docs);
  states.reserve(docs);
  for (int d = 0; d < docs; ++d) {
    ids[d] = RandomIds(tokens, 1000, vocab - 2, 1000 + d);
    ids[d][0] = 1;
    states.push_back(m.NewState());
    inputs.push_back({&states.back(), ids[d], {}});
  }
  ForwardOptions options;
  absl::StatusOr<ForwardResult> r = m.Forward(inputs, options);
  return r.ok() ? std::move(r->hidden_states) : std::vector<float>();
}

// Per-token cosines (min, mean) between two [rows, width] matrices.
std::pair<double, double> CosineMinMean(const std::vector<float>& a, const std::vector<float>& b, int64_t width) {
  const int64_t rows = static_cast<int64_t>(std::min(a.size(), b.size())) / width;
  double min_cos = 1, sum = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0, na = 0, nb = 0;
    for (int64_t i = 0; i < width; ++i) {
      dot += double{a[r * width + i]} * b[r * width + i];
      na += double{a[r * width + i]} * a[r * width + i];
      nb += double{b[r * width + i]} * b[r * width + i];
    }
    const double c = dot / std::sqrt(na * nb);
    min_cos = std::min(min_cos, c);
    sum += c;
  }
  return {min_cos, rows > 0 ? sum / rows : 0};
}

// Rounds every element of an f32 weight matrix to `bits`-bit integers times a
// scale per group of `group` values along a row (0: one scale per row), in
// place: what a weight format of that kind keeps, with everything else exact.
void RoundWeights(const WeightTensor& w, int bits, int64_t group) {
  if (w.empty() || w.data() == nullptr || w.shape().size() != 2) return;
  // The f32 form of a bf16 checkpoint is an owned, writable copy.
  float* v = const_cast<float*>(w.data());
  const int64_t cols = w.cols(), g = group > 0 ? group : cols;
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  tbb::parallel_for(int64_t{0}, w.rows(), [&](int64_t r) {
    for (int64_t b = 0; b < cols; b += g) {
      const int64_t e = std::min(cols, b + g);
      float amax = 0;
      for (int64_t t = b; t < e; ++t) amax = std::max(amax, std::fabs(v[r * cols + t]));
      const float scale = amax / qmax;
      if (scale == 0) continue;
      for (int64_t t = b; t < e; ++t) v[r * cols + t] = scale * std::nearbyint(v[r * cols + t] / scale);
    }
  });
}

// What rounding the weights alone costs, with activations exact: for each
// format (bits, group), the trunk's large matrices are rounded in an f32
// model and its hidden states compared with the unrounded f32 model's. This
// is the floor any kernel with such weights can reach on this checkpoint
// (RESULTS.md, issue 5: why int8 stops short of 0.999 on random weights).
void BM_WeightFormats(benchmark::State& state, std::string dir, Flags flags) {
  ModelLoadOptions f32_options;
  f32_options.precision = Precision::kF32;
  absl::StatusOr<std::unique_ptr<Lfm2Model>> reference = Lfm2Model::Load(dir, f32_options);
  if (!reference.ok()) {
    state.SkipWithError(reference.status().ToString().c_str());
    return;
  }
  const int docs = std::min(flags.documents, 4);
  const int64_t hidden = (*reference)->config().hidden_size;
  const std::vector<float> want = DocumentHiddenStates(**reference, docs, flags.document_tokens);
  reference->reset();
  const std::pair<int, int64_t> formats[] = {{8, 0}, {8, 32}, {8, 16}, {4, 32}};
  for (auto _ : state) {
    for (const auto& [bits, group] : formats) {
      absl::StatusOr<std::unique_ptr<Lfm2Model>> model = Lfm2Model::Load(dir, f32_options);
      if (!model.ok()) {
        state.SkipWithError(model.status().ToString().c_str());
        return;
      }
      for (const LayerWeights& l : (*model)->weights().layers) {
        for (const WeightTensor* w : {&l.conv.in_proj, &l.conv.out_proj, &l.attention.q_proj, &l.attention.k_proj,
                                      &l.attention.v_proj, &l.attention.out_proj, &l.ffn.w1, &l.ffn.w2, &l.ffn.w3}) {
          RoundWeights(*w, bits, group);
        }
      }
      const auto [min_cos, mean_cos] = CosineMinMean(DocumentHiddenStates(**model, docs, flags.document_tokens), want, hidden);
      const std::string name = absl::StrCat("int", bits, group > 0 ? absl::StrCat("_g", group) : "_channel");
      state.counters[name + "_min_cosine"] = min_cos;
      state.counters[name + "_mean_cosine"] = mean_cos;
    }
  }
}

// Accuracy of the load precision against the f32 path on the real shapes:
// `documents` x `document_tokens` random documents through the trunk, the
// per-token cosine of the final hidden states (min and mean), and for causal
// models the number of the first `decode_steps` greedy tokens (after a
// `prompt_tokens` prompt) that equal the f32 continuation. Loads its own f32
// model next to the cached one (twice the memory of one model).
void BM_Accuracy(benchmark::State& state, std::string dir, Flags flags, bool causal) {
  absl::StatusOr<const Lfm2Model*> model_or = CachedModel(dir);
  if (!model_or.ok()) {
    state.SkipWithError(model_or.status().ToString().c_str());
    return;
  }
  const Lfm2Model& model = **model_or;
  ModelLoadOptions f32_options;
  f32_options.precision = Precision::kF32;
  absl::StatusOr<std::unique_ptr<Lfm2Model>> reference = Lfm2Model::Load(dir, f32_options);
  if (!reference.ok()) {
    state.SkipWithError(reference.status().ToString().c_str());
    return;
  }
  const int64_t hidden = model.config().hidden_size;
  const int32_t vocab = model.config().vocab_size;
  const int docs = std::min(flags.documents, 4);
  auto hidden_states = [&](const Lfm2Model& m) { return DocumentHiddenStates(m, docs, flags.document_tokens); };
  auto greedy = [&](const Lfm2Model& m) {
    std::vector<int32_t> prompt = RandomIds(flags.prompt_tokens, 1000, vocab, 11), out;
    prompt[0] = 1;
    SequenceState seq = m.NewState();
    ForwardOptions options;
    options.return_hidden_states = false;
    options.return_last_logits = true;
    absl::StatusOr<ForwardResult> r = m.Forward({SequenceInput{&seq, prompt, {}}}, options);
    for (int step = 0; r.ok() && step < flags.decode_steps; ++step) {
      out.push_back(ArgMax(r->last_logits));
      r = m.Forward({SequenceInput{&seq, absl::MakeConstSpan(&out.back(), 1), {}}}, options);
    }
    return out;
  };
  double min_cos = 1, mean_cos = 0;
  int64_t rows = 0;
  int same = 0;
  for (auto _ : state) {
    const std::vector<float> a = hidden_states(model), b = hidden_states(**reference);
    rows = static_cast<int64_t>(std::min(a.size(), b.size())) / hidden;
    std::tie(min_cos, mean_cos) = CosineMinMean(a, b, hidden);
    if (causal && model.has_lm_head()) {
      const std::vector<int32_t> x = greedy(model), y = greedy(**reference);
      while (same < static_cast<int>(std::min(x.size(), y.size())) && x[same] == y[same]) ++same;
    }
  }
  state.counters["min_cosine"] = min_cos;
  state.counters["mean_cosine"] = mean_cos;
  state.counters["tokens_compared"] = static_cast<double>(rows);
  if (causal) state.counters["greedy_prefix_equal"] = same;
}

// Reads the "text" field of the first `limit` lines of a JSON Lines file.
absl::StatusOr<std::vector<std::string>> ReadTexts(const std::string& path, int limit) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<std::string> texts;
  std::string line;
  for (int n = 1; static_cast<int>(texts.size()) < limit && std::getline(in, line); ++n) {
    LATERAL_ASSIGN_OR_RETURN(Json object, ParseJson(line, absl::StrCat(path, ":", n)));
    LATERAL_ASSIGN_OR_RETURN(std::string text, JsonObjectReader(object, absl::StrCat(path, ":", n)).GetString("text"));
    texts.push_back(std::move(text));
  }
  return texts;
}

// The ColBERT side of issue 5's accuracy figures, on real multilingual text
// (the repository's sample corpus) through the whole encoder (markers,
// expansion, skiplist, 1_Dense head): per-token cosine of the output vectors
// against the f32 path, and whether exhaustive MaxSim ranks the same top 10
// passages for each query. The model's weights are random, so what the
// rankings mean does not matter; whether a precision changes them does.
void BM_Retrieval(benchmark::State& state, std::string dir, Flags flags) {
  absl::StatusOr<std::vector<std::string>> docs =
      ReadTexts(flags.retrieval_corpus + "/corpus.jsonl", flags.retrieval_documents);
  absl::StatusOr<std::vector<std::string>> queries =
      ReadTexts(flags.retrieval_corpus + "/queries.jsonl", flags.retrieval_queries);
  if (!docs.ok() || !queries.ok()) {
    state.SkipWithError((docs.ok() ? queries.status() : docs.status()).ToString().c_str());
    return;
  }
  const std::optional<Precision> precision =
      flags.precision == "default" ? std::nullopt : std::optional<Precision>(*ParsePrecision(flags.precision));
  auto fast = ColbertEncoder::Load(dir, precision);
  auto reference = ColbertEncoder::Load(dir, Precision::kF32);
  if (!fast.ok() || !reference.ok()) {
    state.SkipWithError((fast.ok() ? reference.status() : fast.status()).ToString().c_str());
    return;
  }
  constexpr int kTop = 10;
  double min_cos = 1, sum_cos = 0, overlap_sum = 0;
  int64_t vectors = 0;
  int same_top = 0;
  for (auto _ : state) {
    auto encode = [&](const ColbertEncoder& e, const std::vector<std::string>& texts, bool query) {
      return query ? e.EncodeQueries(texts) : e.EncodeDocuments(texts);
    };
    auto fd = encode(**fast, *docs, false), rd = encode(**reference, *docs, false);
    auto fq = encode(**fast, *queries, true), rq = encode(**reference, *queries, true);
    if (!fd.ok() || !rd.ok() || !fq.ok() || !rq.ok()) {
      state.SkipWithError("encoding failed");
      return;
    }
    auto compare = [&](const std::vector<TokenEmbeddings>& a, const std::vector<TokenEmbeddings>& b) {
      for (size_t i = 0; i < a.size(); ++i) {
        for (int64_t r = 0; r < std::min(a[i].num_vectors, b[i].num_vectors); ++r) {
          double dot = 0;
          for (int64_t j = 0; j < a[i].dim; ++j) dot += double{a[i].vectors[r * a[i].dim + j]} * b[i].vectors[r * b[i].dim + j];
          min_cos = std::min(min_cos, dot);  // both unit length
          sum_cos += dot;
          ++vectors;
        }
      }
    };
    compare(*fd, *rd);
    compare(*fq, *rq);
    auto top = [&](const std::vector<TokenEmbeddings>& q, const std::vector<TokenEmbeddings>& d, size_t qi) {
      std::vector<std::pair<float, int>> scored;
      const TokenMatrix query{q[qi].vectors.data(), q[qi].num_vectors, q[qi].dim};
      for (size_t di = 0; di < d.size(); ++di) {
        scored.push_back({-NaiveMaxSim(query, {d[di].vectors.data(), d[di].num_vectors, d[di].dim}), static_cast<int>(di)});
      }
      std::partial_sort(scored.begin(), scored.begin() + kTop, scored.end());
      std::vector<int> ids;
      for (int i = 0; i < kTop; ++i) ids.push_back(scored[i].second);
      return ids;
    };
    for (size_t qi = 0; qi < queries->size(); ++qi) {
      std::vector<int> a = top(*fq, *fd, qi), b = top(*rq, *rd, qi);
      same_top += a == b;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      std::vector<int> both;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
      overlap_sum += static_cast<double>(both.size()) / kTop;
    }
  }
  state.counters["min_cosine"] = min_cos;
  state.counters["mean_cosine"] = vectors > 0 ? sum_cos / vectors : 0;
  state.counters["vectors_compared"] = static_cast<double>(vectors);
  state.counters["queries"] = static_cast<double>(queries->size());
  state.counters["same_top10_ranking"] = same_top;
  state.counters["mean_top10_overlap"] = queries->empty() ? 0 : overlap_sum / queries->size();
}

std::string BaseName(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

void RegisterAll(const Flags& flags) {
  const int reps = flags.repetitions;
  const std::string suffix = absl::StrCat("/precision:", flags.precision);
  auto common = [reps](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(reps)->DisplayAggregatesOnly(true);
  };
  // Grouped by model: CachedModel holds one at a time.
  if (!flags.colbert_model.empty()) {
    const std::string& dir = flags.colbert_model;
    for (int threads : flags.threads) {
      for (int batch : flags.encode_batches) {
        common(benchmark::RegisterBenchmark(
                   absl::StrCat("Encode/", BaseName(dir), "/docs:", flags.documents, "x",
                                flags.document_tokens, "/batch:", batch, "/threads:", threads, suffix)
                       .c_str(),
                   BM_Encode, dir, flags, batch, threads)
                   ->UseRealTime());
      }
    }
    benchmark::RegisterBenchmark(absl::StrCat("Accuracy/", BaseName(dir), suffix).c_str(), BM_Accuracy, dir,
                                 flags, false)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(absl::StrCat("Retrieval/", BaseName(dir), suffix).c_str(), BM_Retrieval, dir,
                                 flags)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(absl::StrCat("WeightFormats/", BaseName(dir)).c_str(), BM_WeightFormats, dir, flags)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  if (!flags.causal_models.empty()) {
    for (int threads : flags.threads) {
      common(benchmark::RegisterBenchmark(absl::StrCat("Bandwidth/read/threads:", threads).c_str(),
                                          BM_ReadBandwidth, threads)
                 ->UseManualTime());
    }
  }
  for (const std::string& dir : flags.causal_models) {
    const std::string name = BaseName(dir);
    benchmark::RegisterBenchmark(absl::StrCat("Accuracy/", name, suffix).c_str(), BM_Accuracy, dir, flags, true)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    common(benchmark::RegisterBenchmark(absl::StrCat("Load/", name, "/warm", suffix).c_str(), BM_Load, dir, false)
               ->UseManualTime());
    common(benchmark::RegisterBenchmark(absl::StrCat("Load/", name, "/cold", suffix).c_str(), BM_Load, dir, true)
               ->UseManualTime());
    for (int threads : flags.threads) {
      common(benchmark::RegisterBenchmark(
                 absl::StrCat("Prefill/", name, "/pp", flags.prefill_tokens, "/threads:", threads, suffix).c_str(),
                 BM_Prefill, dir, flags, threads)
                 ->UseRealTime());
    }
    for (int threads : flags.threads) {
      common(benchmark::RegisterBenchmark(absl::StrCat("Decode/", name, "/tg", flags.decode_steps,
                                                       "/prompt:", flags.prompt_tokens, "/threads:", threads, suffix)
                                              .c_str(),
                                          BM_Decode, dir, flags, threads, false, false)
                 ->UseManualTime());
      for (bool screen : {false, true}) {
        common(benchmark::RegisterBenchmark(
                   absl::StrCat("DecodeSampled/", name, "/tg", flags.decode_steps, "/prompt:", flags.prompt_tokens,
                                "/threads:", threads, "/screen:", screen ? 1 : 0, suffix)
                       .c_str(),
                   BM_Decode, dir, flags, threads, true, screen)
                   ->UseManualTime());
      }
    }
  }
}

std::vector<int> ParseIntList(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.push_back(std::atoi(std::string(part).c_str()));
  }
  return out;
}

// Takes our flags out of argv (Google Benchmark rejects flags it does not know).
Flags ParseFlags(int* argc, char** argv) {
  Flags flags;
  if (const char* env = std::getenv("LATERAL_BENCH_CAUSAL_MODELS")) {
    for (absl::string_view dir : absl::StrSplit(env, ',', absl::SkipEmpty())) {
      flags.causal_models.emplace_back(dir);
    }
  }
  if (const char* env = std::getenv("LATERAL_BENCH_COLBERT_MODEL")) flags.colbert_model = env;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq), value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (key == "--causal_model") {
      flags.causal_models.push_back(value);
    } else if (key == "--colbert_model") {
      flags.colbert_model = value;
    } else if (key == "--repetitions") {
      flags.repetitions = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--documents") {
      flags.documents = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--document_tokens") {
      flags.document_tokens = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--encode_batches") {
      flags.encode_batches = ParseIntList(value);
    } else if (key == "--prefill_tokens") {
      flags.prefill_tokens = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--prompt_tokens") {
      flags.prompt_tokens = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--decode_steps") {
      flags.decode_steps = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--precision") {
      flags.precision = value;
    } else if (key == "--retrieval_corpus") {
      flags.retrieval_corpus = value;
    } else if (key == "--retrieval_documents") {
      flags.retrieval_documents = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--retrieval_queries") {
      flags.retrieval_queries = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--threads") {
      flags.threads = ParseIntList(value);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return flags;
}

}  // namespace
}  // namespace lateral::bench

int main(int argc, char** argv) {
  lateral::bench::Flags flags = lateral::bench::ParseFlags(&argc, argv);
  if (flags.precision != "default") {
    absl::StatusOr<lateral::Precision> precision = lateral::ParsePrecision(flags.precision);
    if (!precision.ok()) {
      std::fprintf(stderr, "model_bench: --precision: %s\n", std::string(precision.status().message()).c_str());
      return 2;
    }
    lateral::bench::SetBenchPrecision(*precision);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (flags.causal_models.empty() && flags.colbert_model.empty()) {
    std::fprintf(stderr,
                 "model_bench: no model given, running only the sgemm / memory reference points.\n"
                 "  Pass --causal_model=DIR (repeatable) and/or --colbert_model=DIR, made with\n"
                 "  make_random_checkpoint (see benchmarks/RESULTS.md).\n");
  }
  lateral::bench::RegisterAll(flags);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

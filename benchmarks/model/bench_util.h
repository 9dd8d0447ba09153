// Helpers shared by the model benchmarks: a one-model cache, thread limits,
// and a per-layer timer built on ForwardOptions::observer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "encoder/model/lfm2_model.h"
#include "tbb/global_control.h"

namespace lateral::bench {

// Returns the model of `dir`, loading it on first use. Holds one model at a
// time (a 1.2B model is 4.7 GB in f32): asking for another directory frees the
// previous one first. Benchmarks are registered grouped by model, so each
// model loads once.
absl::StatusOr<const Lfm2Model*> CachedModel(const std::string& dir);
// The precision CachedModel and the load benchmark use (--precision); unset:
// the library default (DefaultPrecision of the checkpoint).
void SetBenchPrecision(std::optional<Precision> precision);
std::optional<Precision> BenchPrecision();
ModelLoadOptions BenchLoadOptions();
void ReleaseCachedModel();

// Limits oneTBB to `threads` while alive; 0 leaves the default (all cores).
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads) {
    if (threads > 0) limit_.emplace(tbb::global_control::max_allowed_parallelism, threads);
  }

 private:
  std::optional<tbb::global_control> limit_;
};

// Splits Forward wall time by where it goes, using the layer observer: the
// embedding lookup, each conv / attention layer (mixer + FFN together), and
// what follows the final norm (the LM head). Accumulates over calls.
class LayerTimer {
 public:
  explicit LayerTimer(const ModelConfig& config) : config_(config) {}

  // An observer for ForwardOptions; call Begin() right before Forward and
  // End() right after it.
  LayerObserver Observer();
  void Begin() { last_ = Clock::now(); }
  void End() { head_s_ += Since(last_); }

  double conv_s() const { return conv_s_; }        // all conv layers
  double attention_s() const { return attention_s_; }
  double head_s() const { return head_s_; }        // after the final norm: logits
  double embed_s() const { return embed_s_; }      // validation + embedding lookup

 private:
  using Clock = std::chrono::steady_clock;
  static double Since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  }
  const ModelConfig& config_;
  Clock::time_point last_;
  double conv_s_ = 0, attention_s_ = 0, head_s_ = 0, embed_s_ = 0;
};

// Weight bytes one decode step reads in f32: every matrix of every layer once,
// plus the whole output embedding for the logits (only one row of the input
// embedding is read, so it is not counted unless it doubles as the LM head).
double DecodeWeightBytesPerToken(const Lfm2Model& model);

// CPU seconds used by this process, all threads. Over a timed span divided by
// its wall time, says how many cores the benchmark actually got: on a shared
// machine a 2-thread run that gets 1.3 was slowed by someone else.
double ProcessCpuSeconds();

// Random document token ids in [first, vocab): deterministic per seed.
std::vector<int32_t> RandomIds(int64_t count, int32_t first, int32_t vocab, uint64_t seed);

}  // namespace lateral::bench

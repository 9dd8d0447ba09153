// Autoregressive generation of one prompt: a one-shot GenerationSession
// (encoder/generation/generation_session.h), which prefills the prompt in
// slices and then runs one cached decode step per new token, sampling each
// with a Sampler.
//
// Generator borrows the model; Generate is const and thread-safe (each call
// owns its session and SequenceState).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "encoder/generation/generation_config.h"
#include "encoder/model/lfm2_model.h"

namespace lateral {

struct GenerationResult {
  std::vector<int32_t> tokens;  // new tokens only, the stop token included when hit
  bool stopped_on_token = false;
  bool cancelled = false;     // should_stop returned true; `tokens` are those chosen before
  bool context_full = false;  // stopped because the context (max_position_embeddings) is full
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

class Generator {
 public:
  explicit Generator(const Lfm2Model& model) : model_(model) {}

  // `on_token` sees each new token as it is chosen; returning false stops early.
  // `should_stop` is polled before every forward call (see GenerationSession).
  absl::StatusOr<GenerationResult> Generate(absl::Span<const int32_t> prompt,
                                            const GenerationSettings& settings,
                                            const std::function<bool(int32_t)>& on_token = nullptr,
                                            const std::function<bool()>& should_stop = nullptr) const;

 private:
  const Lfm2Model& model_;
};

}  // namespace lateral

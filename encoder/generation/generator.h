// Autoregressive generation: prefill the prompt, then one cached decode step
// per new token, sampling each with a Sampler.
//
// Generator borrows the model; Generate is const and thread-safe (each call
// owns its SequenceState).
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
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

class Generator {
 public:
  explicit Generator(const Lfm2Model& model) : model_(model) {}

  // `on_token` sees each new token as it is chosen; returning false stops early.
  absl::StatusOr<GenerationResult> Generate(absl::Span<const int32_t> prompt,
                                            const GenerationSettings& settings,
                                            const std::function<bool(int32_t)>& on_token = nullptr) const;

 private:
  const Lfm2Model& model_;
};

}  // namespace lateral

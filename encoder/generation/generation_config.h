// Decoding settings: what generation_config.json says, what flags override.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lateral {

struct SamplingSettings {
  bool greedy = false;              // argmax; the other fields are then ignored
  float temperature = 0.3f;         // LFM2 card's recommendation when the file has none
  int top_k = 0;                    // 0 = off
  float top_p = 1.0f;               // 1 = off
  float min_p = 0.15f;              // 0 = off
  float repetition_penalty = 1.05f; // 1 = off
  uint64_t seed = 0;
};

struct GenerationSettings {
  SamplingSettings sampling;
  int max_new_tokens = 256;
  std::vector<int32_t> stop_token_ids;  // generation stops after emitting one
  // Compute a bf16 LM head exactly only for the tokens the sampler can pick
  // (encoder/model/screened_head.h; same tokens drawn, half the head's
  // bytes read). False computes every logit.
  bool screen_head = true;
};

// Reads DIR/generation_config.json when present (do_sample, temperature, top_k,
// top_p, min_p, repetition_penalty, max_new_tokens, eos_token_id as one id or
// a list) over the defaults above; a missing file or a null field keeps the
// default; temperature 0 means greedy (LFM2.md §14: the Nanos ship it). A field of the
// wrong type or out of range is an error naming the file and the field.
absl::StatusOr<GenerationSettings> LoadGenerationSettings(const std::string& model_dir);

}  // namespace lateral

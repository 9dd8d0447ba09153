// Picks the next token from logits, in the order Hugging Face `generate`
// applies its processors: repetition penalty, temperature, top-k, top-p,
// min-p, then a draw (or argmax when greedy or temperature is 0).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "absl/types/span.h"
#include "encoder/generation/generation_config.h"
#include "encoder/model/screened_head.h"

namespace lateral {

class Sampler {
 public:
  explicit Sampler(const SamplingSettings& settings);

  // `logits` is modified; `history` is every token so far (prompt included),
  // for the repetition penalty.
  int32_t Next(absl::Span<float> logits, absl::Span<const int32_t> history);
  // The same choice by sorting the whole vocabulary every time: the oracle
  // that Next's min-p shortcut is tested against.
  int32_t NextBySortingAll(absl::Span<float> logits, absl::Span<const int32_t> history);

  // The logits Next needs exactly, for ForwardOptions::screen: those within
  // 0 of the best penalised logit (greedy), or within T·|ln min_p| (min-p
  // without top-p); top-k only narrows either set. nullopt when every logit
  // can matter (top-p below 1, or plain temperature sampling). `history` as
  // for Next; it must outlive the returned screen.
  std::optional<LogitsScreen> ScreenFor(absl::Span<const int32_t> history) const;

 private:
  void ApplyRepetitionPenalty(absl::Span<float> logits, absl::Span<const int32_t> history) const;

  SamplingSettings settings_;
  std::mt19937_64 rng_;
};

// Index of the largest value; ties go to the lowest index, as torch.argmax.
int32_t ArgMax(absl::Span<const float> values);

}  // namespace lateral

// GenerationSession: generation that reuses what it already computed.
//
// A multi-turn chat sends a prompt each turn that repeats the previous turns.
// The session keeps one SequenceState and the tokens it holds, plus a
// snapshot (a copy of the state: LFM2's conv state is tiny, the KV cache grows
// with the context) at the end of each previous prompt. A new prompt that
// starts with tokens the session already has resumes from the longest such
// point -- the current end, or a snapshot when the prompt diverges after it
// (for instance when the answer re-tokenises differently) -- and prefills only
// the rest, in slices. The result is the same as a fresh prefill of the whole
// prompt (the forward pass is one code path for prefill and cached decode).
// Memory: the live state plus at most kMaxSnapshots copies of it.
//
// tokens() is what the state holds: prompts and generated tokens, except the
// last generated token of each call (it was sampled, never fed back); a next
// prompt that continues with it prefills it with the rest.
//
// Borrows the model (which must outlive the session); owns its states. Not
// thread-safe. Used by Generator (one-shot), `lateral ask` and `lateral chat`.
// A failed forward call resets the session, so it never holds a state that
// disagrees with tokens().
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "encoder/generation/generation_config.h"
#include "encoder/generation/generator.h"
#include "encoder/model/lfm2_model.h"

namespace lateral {

struct SessionStats {
  int reused_tokens = 0;     // prompt tokens taken from the session's state
  int prefilled_tokens = 0;  // prompt tokens run through the model this call
  double prefill_seconds = 0;
  double first_token_seconds = 0;  // prefill + first sample, i.e. TTFT
  double decode_seconds = 0;
  int generated_tokens = 0;
};

class GenerationSession {
 public:
  explicit GenerationSession(const Lfm2Model& model);

  // Generates a continuation of `prompt` (see the file comment for reuse).
  // `on_token` sees each new token as it is chosen; returning false stops
  // after it. `should_stop` is polled before every forward call (Ctrl-C); a
  // stop returns the tokens so far with `cancelled` set, not an error.
  // Errors, before any work: an empty prompt; a prompt that leaves no room in
  // the model's context (max_position_embeddings). Decoding stops with
  // `context_full` when the context fills up.
  absl::StatusOr<GenerationResult> Generate(absl::Span<const int32_t> prompt,
                                            const GenerationSettings& settings,
                                            const std::function<bool(int32_t)>& on_token,
                                            const std::function<bool()>& should_stop = nullptr);
  const SessionStats& last_stats() const { return stats_; }
  absl::Span<const int32_t> tokens() const { return tokens_; }
  // Forgets every state and snapshot.
  void Reset();
  // How many prompt-end snapshots to keep (default kMaxSnapshots); 0 for
  // one-shot use, which then never copies its state.
  void set_max_snapshots(size_t n);

 private:
  struct Snapshot {
    size_t length = 0;  // tokens_[0, length) are what `state` holds
    SequenceState state;
  };
  // Keeps the newest snapshots only: each holds a copy of the KV cache, as
  // large as the state itself (the previous prompt's end is the one a chat
  // turn needs; the one before covers regenerating the last answer).
  static constexpr size_t kMaxSnapshots = 2;

  // Moves the state to the longest reusable prefix of `prompt`; returns its length.
  size_t Resume(absl::Span<const int32_t> prompt);

  const Lfm2Model& model_;
  SequenceState state_;
  std::vector<int32_t> tokens_;
  std::vector<Snapshot> snapshots_;
  SessionStats stats_;
  size_t max_snapshots_ = kMaxSnapshots;
};

}  // namespace lateral

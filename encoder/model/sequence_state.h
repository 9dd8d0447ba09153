// What the model remembers about one sequence between forward calls.
//
// Owned by the caller (a generator, an encoder batch), filled by
// Lfm2Model::Forward. Conv layers keep the last conv_L_cache-1 columns of the
// gated conv input v = B⊙x; attention layers keep keys (after k_layernorm and
// RoPE) and values of every past position, plus whether each position may be
// attended to (attention mask 1) at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lateral {

struct ModelConfig;

struct KvCache {
  std::vector<float> keys;    // [positions, n_kv * head_dim]
  std::vector<float> values;  // [positions, n_kv * head_dim]
};

class SequenceState {
 public:
  explicit SequenceState(const ModelConfig& config);

  // Number of tokens processed so far (the next token's position).
  int64_t position() const { return position_; }
  // Forgets everything; the state can be reused for a new sequence.
  void Reset();
  // Bytes held by caches, for budgeting.
  size_t MemoryBytes() const;

 private:
  friend class Lfm2Model;
  int64_t position_ = 0;
  std::vector<std::vector<float>> conv_;  // per layer: [(L-1), H], oldest first; empty for attention
  std::vector<KvCache> kv_;               // per layer; empty for conv layers
  std::vector<uint8_t> key_valid_;        // per past position: 1 if attention mask was 1
};

}  // namespace lateral

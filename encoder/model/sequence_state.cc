#include "encoder/model/sequence_state.h"

#include "encoder/model/model_config.h"

namespace lateral {

SequenceState::SequenceState(const ModelConfig& config) {
  conv_.resize(config.num_layers);
  kv_.resize(config.num_layers);
  for (int i = 0; i < config.num_layers; ++i) {
    if (config.layer_kinds[i] == LayerKind::kConv) {
      conv_[i].assign(static_cast<size_t>(config.conv_kernel - 1) * config.hidden_size, 0.0f);
    }
  }
}

void SequenceState::Reset() {
  position_ = 0;
  for (auto& c : conv_) std::fill(c.begin(), c.end(), 0.0f);
  for (auto& kv : kv_) {
    kv.keys.clear();
    kv.values.clear();
  }
  key_valid_.clear();
}

size_t SequenceState::MemoryBytes() const {
  size_t bytes = key_valid_.size();
  for (const auto& c : conv_) bytes += c.size() * sizeof(float);
  for (const auto& kv : kv_) bytes += (kv.keys.size() + kv.values.size()) * sizeof(float);
  return bytes;
}

}  // namespace lateral

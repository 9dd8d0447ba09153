// Random-weight checkpoints with the real shapes of the LFM2 family.
//
// Benchmarks need the exact matrix shapes of LFM2-350M / 1.2B and
// LFM2-ColBERT-350M, not their trained values: the forward pass costs the same
// for any weights. WriteRandomCheckpoint writes a model directory that
// Lfm2Model::Load (and the PyLate-layout readers) accept, with seeded bf16
// weights drawn so that activations stay in a sane range: matrices ~N(0, 0.02),
// norm weights ~1.
//
// Tensors are generated and written one chunk at a time, so writing a 1.2B
// model needs a few MiB of memory, not a copy of the checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lateral::bench {

struct ModelShape {
  std::string name;
  std::vector<std::string> architectures;  // config.json "architectures"
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  std::vector<int> attention_layers;  // the rest are short-conv layers
  int num_heads = 0;
  int num_kv_heads = 0;
  int raw_ffn_size = 0;  // block_ff_dim before the auto-adjust rule
  int multiple_of = 256;
  int conv_kernel = 3;
  int eos_token_id = 7;
  std::string tensor_prefix = "model.";  // "" for the ColBERT trunk, as shipped
  // ColBERT: PyLate files and a 1_Dense projection hidden -> dense_out.
  bool colbert = false;
  int dense_out = 0;
  int document_length = 512;
  int query_length = 32;

  int head_dim() const { return hidden_size / num_heads; }
  // The width Lfm2MLP uses: 2/3 of the raw width, rounded up to multiple_of
  // (LFM2.md §2.2; multiplier 1.0 in every release).
  int ffn_size() const;
  // Parameters of the trunk (plus the projection for ColBERT).
  int64_t NumParameters() const;
};

// "tiny", "colbert-tiny", "lfm2-350m", "lfm2-1.2b", "lfm2-colbert-350m".
absl::StatusOr<ModelShape> ShapeByName(const std::string& name);
std::vector<std::string> ShapeNames();

struct WriteOptions {
  uint64_t seed = 1;
  // Folder to copy tokenizer.json / tokenizer_config.json from (ColBERT only);
  // empty writes no tokenizer.
  std::string tokenizer_from;
};

// Creates `dir` (and parents) and writes config.json, model.safetensors and,
// for ColBERT shapes, the PyLate files and 1_Dense/.
absl::Status WriteRandomCheckpoint(const ModelShape& shape, const std::string& dir,
                                   const WriteOptions& options);

}  // namespace lateral::bench

// The numeric precision of the LFM2 runtime's large matrix products.
//
// kF32 is the reference: weights in float32 (bf16 / f16 checkpoints widened at
// load time), OpenBLAS sgemm. kBf16 keeps the weights as bfloat16 (borrowed
// from the memory-mapped checkpoint when it is bf16) and rounds activations to
// bf16 before the products (f32 accumulation). kInt8 quantises weights per
// output channel at load time and activations per row on the fly.
// Only the large matrices (projections, feed-forward, LM head) change storage;
// norms, conv kernels, biases and the MoE router stay float32.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral {

enum class Precision { kF32, kBf16, kInt8 };

// "f32", "bf16" or "int8": the spelling ParsePrecision and --precision accept.
const char* PrecisionName(Precision precision);
// Parses "f32", "bf16" or "int8" (also "fp32", "float32", "bfloat16", "q8");
// the error names the accepted values.
absl::StatusOr<Precision> ParsePrecision(std::string_view text);

}  // namespace lateral

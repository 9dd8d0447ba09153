// The numeric precision of the LFM2 runtime's large matrix products.
//
// kF32 is the reference: weights in float32 (bf16 / f16 checkpoints widened at
// load time), OpenBLAS sgemm. kBf16 keeps the weights as bfloat16 (borrowed
// from the memory-mapped checkpoint when it is bf16) and multiplies them with
// float32 activations (weights widened in registers or in per-thread panels,
// or activations split into two bf16 parts on AMX: 16 significant bits), so
// results stay within ~1e-5 of kF32's; rounding the activations to bf16 as well (vdpbf16ps) is
// selectable with LATERAL_BF16_ACTIVATIONS=rounded but misses the 0.9999
// per-token cosine target. kInt8 quantises weights per output channel at load
// time and activations per row on the fly. kQ4 quantises weights to 4 bits in
// groups of 32 along k (encoder/kernels/q4_gemm.h): about 4.5 bits per weight,
// decode reads 0.56 bytes per weight instead of int8's 1; activations are int8
// per row for decode and exact for prefill.
// Only the large matrices (projections, feed-forward, LM head) change storage;
// norms, conv kernels, biases and the MoE router stay float32.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lateral {

enum class Precision { kF32, kBf16, kInt8, kQ4 };

// "f32", "bf16", "int8" or "q4": the spelling ParsePrecision and --precision accept.
const char* PrecisionName(Precision precision);
// Parses "f32", "bf16", "int8" or "q4" (also "fp32", "float32", "bfloat16",
// "q8"); the error names the accepted values. "q4_0" is not accepted: q4 is
// not GGUF's Q4_0 (its scales are searched bf16 values, q4_gemm.h).
absl::StatusOr<Precision> ParsePrecision(std::string_view text);

}  // namespace lateral

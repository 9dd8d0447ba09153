// Which instruction-set tier the encoder's kernels run at, chosen once.
//
//   kAvx512:   AVX-512 F/BW/DQ/VL with AVX512_BF16 (vdpbf16ps) and AVX512_VNNI
//              (vpdpbusd): Zen 4+, Sapphire Rapids+.
//   kAvx2:     AVX2 + FMA (any x86-64 from about 2013).
//   kPortable: plain C++, any CPU.
//   kAmx:      kAvx512 plus AMX-INT8 tiles (Sapphire Rapids+), used by the int8
//              product for 16+ activation rows; everything else runs as kAvx512.
// The environment variable LATERAL_CPU=portable|avx2|avx512|amx caps the tier
// (read once per process; an unknown value is ignored with no cap), so every
// tier can be exercised on a machine that has a faster one. Tests call the
// kernels with an explicit tier instead, or use SetTierForTesting.
// Thread-safe.
#pragma once

#include <vector>

namespace lateral::kernels {

enum class Tier { kPortable = 0, kAvx2 = 1, kAvx512 = 2, kAmx = 3 };

// The best tier this CPU and OS can run, ignoring LATERAL_CPU.
Tier SupportedTier();
// The tier the dispatching entry points use: SupportedTier() capped by
// LATERAL_CPU, or the SetTierForTesting override (itself capped by SupportedTier()).
Tier ActiveTier();
// Every tier this CPU can run, slowest first.
std::vector<Tier> AvailableTiers();
// "portable", "avx2", "avx512" or "amx".
const char* TierName(Tier tier);

void SetTierForTesting(Tier tier);
void ClearTierForTesting();

}  // namespace lateral::kernels

// Which SIMD instruction sets this CPU offers, detected once at run time.
//
// The release binary targets baseline x86-64 (no -march=native); hot kernels
// are compiled per function with target attributes and chosen by these flags.
// LATERAL_SIMD=scalar|avx2|avx512 in the environment caps the choice (to run
// a slower path on a machine that has a faster one; it is read once, so tests
// switch paths with SetSimdLevelForTesting instead). The kernels in
// query/kernels/ call ActiveSimdLevel() on every invocation to dispatch.
#pragma once

namespace lateral {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

struct CpuFeatures {
  bool avx2_fma = false;
  bool avx512f = false;      // with avx512bw/dq/vl
  bool avx512_vnni = false;  // int8 dot products
};

// Detected features (cached after the first call); thread-safe.
const CpuFeatures& DetectedCpuFeatures();
// The level kernels should use: the best the CPU has, capped by LATERAL_SIMD.
SimdLevel ActiveSimdLevel();

// The best level this CPU (and its OS) can run, ignoring LATERAL_SIMD.
SimdLevel SupportedSimdLevel();
// "scalar", "avx2" or "avx512", the spelling LATERAL_SIMD accepts.
const char* SimdLevelName(SimdLevel level);

// For tests and benchmarks: every later ActiveSimdLevel() returns `level`, capped
// at SupportedSimdLevel() so a kernel never executes instructions the CPU lacks.
// LATERAL_SIMD is read once per process, so tests switch paths here instead.
void SetSimdLevelForTesting(SimdLevel level);
// Undoes SetSimdLevelForTesting: back to the detected level capped by LATERAL_SIMD.
void ClearSimdLevelForTesting();

}  // namespace lateral

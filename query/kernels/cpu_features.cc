#include "query/kernels/cpu_features.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

#include "common/cpu_features.h"

namespace lateral {
namespace {

// The detection itself (CPUID and the OS-saved register state) is
// common/cpu_features.h, shared with encoder/kernels; this file keeps
// query's levels and their LATERAL_SIMD cap.
CpuFeatures Detect() {
  const cpu::Features& detected = cpu::Detected();
  CpuFeatures f;
  f.avx2_fma = detected.avx2_fma;
  // The AVX-512 kernels use byte/word ops (BW), 256-bit forms (VL) and DQ
  // conversions: common's avx512 flag requires all of them.
  f.avx512f = detected.avx512;
  f.avx512_vnni = detected.avx512_vnni;
  return f;
}

// LATERAL_SIMD as a cap; anything unrecognised means no cap (auto).
SimdLevel EnvCap() {
  const char* env = std::getenv("LATERAL_SIMD");
  if (env == nullptr) return SimdLevel::kAvx512;
  const std::string_view v(env);
  if (v == "scalar") return SimdLevel::kScalar;
  if (v == "avx2") return SimdLevel::kAvx2;
  return SimdLevel::kAvx512;
}

// -1: no override. Relaxed is enough: tests set it before calling kernels on the
// same thread, and a racing reader sees either level, both valid on this CPU.
std::atomic<int> g_override{-1};

}  // namespace

const CpuFeatures& DetectedCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

SimdLevel SupportedSimdLevel() {
  const CpuFeatures& f = DetectedCpuFeatures();
  if (f.avx512f) return SimdLevel::kAvx512;
  if (f.avx2_fma) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

SimdLevel ActiveSimdLevel() {
  // Read once: kernels call this per invocation, and the environment is not
  // expected to change under a running process.
  static const SimdLevel configured = std::min(SupportedSimdLevel(), EnvCap());
  const int forced = g_override.load(std::memory_order_relaxed);
  if (forced >= 0) return std::min(SupportedSimdLevel(), static_cast<SimdLevel>(forced));
  return configured;
}

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

void SetSimdLevelForTesting(SimdLevel level) { g_override.store(static_cast<int>(level), std::memory_order_relaxed); }

void ClearSimdLevelForTesting() { g_override.store(-1, std::memory_order_relaxed); }

}  // namespace lateral

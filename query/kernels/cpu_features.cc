#include "query/kernels/cpu_features.h"

#include <cpuid.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace lateral {
namespace {

// XCR0 bits the OS sets when it saves the register state on context switch:
// SSE (1) and AVX (2) for ymm; opmask (5), upper zmm0-15 (6) and zmm16-31 (7)
// for AVX-512. A CPU can report AVX-512 while the OS (or a hypervisor) leaves
// it disabled, and executing it then faults.
constexpr uint64_t kXcr0Avx = 0x6;
constexpr uint64_t kXcr0Avx512 = 0xE6;

uint64_t ReadXcr0() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  if (!(ecx & bit_OSXSAVE)) return 0;  // xgetbv itself would fault
  uint32_t lo = 0, hi = 0;
  // Raw xgetbv: _xgetbv needs the xsave target, which the baseline build lacks.
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

CpuFeatures Detect() {
  __builtin_cpu_init();
  const uint64_t xcr0 = ReadXcr0();
  const bool os_avx = (xcr0 & kXcr0Avx) == kXcr0Avx;
  const bool os_avx512 = (xcr0 & kXcr0Avx512) == kXcr0Avx512;
  CpuFeatures f;
  f.avx2_fma = os_avx && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // The AVX-512 kernels use byte/word ops (BW), 256-bit forms (VL) and DQ
  // conversions, so the level requires all of them, not just the foundation.
  f.avx512f = f.avx2_fma && os_avx512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  f.avx512_vnni = f.avx512f && __builtin_cpu_supports("avx512vnni");
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

#include "common/cpu_features.h"

#include <cpuid.h>

#include <cstdint>

namespace lateral::cpu {
namespace {

// XCR0 bits: SSE (1) and AVX (2) for ymm; opmask (5), upper zmm0-15 (6) and
// zmm16-31 (7) for AVX-512.
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

Features Detect() {
  Features f;
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = (ecx & bit_FMA) != 0;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_avx = (xcr0 & kXcr0Avx) == kXcr0Avx;
  const bool os_avx512 = (xcr0 & kXcr0Avx512) == kXcr0Avx512;
  unsigned int max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 7) return f;
  unsigned int b7 = 0, c7 = 0, d7 = 0, a7 = 0;
  __cpuid_count(7, 0, a7, b7, c7, d7);
  unsigned int a71 = 0, b71 = 0, c71 = 0, d71 = 0;
  __cpuid_count(7, 1, a71, b71, c71, d71);
  const bool avx2 = (b7 & bit_AVX2) != 0;
  const bool avx512f = (b7 & bit_AVX512F) != 0, avx512dq = (b7 & bit_AVX512DQ) != 0;
  const bool avx512bw = (b7 & bit_AVX512BW) != 0, avx512vl = (b7 & bit_AVX512VL) != 0;
  f.avx2_fma = os_avx && avx2 && fma;
  f.avx512 = f.avx2_fma && os_avx512 && avx512f && avx512dq && avx512bw && avx512vl;
  f.avx512_vnni = f.avx512 && (c7 & (1u << 11)) != 0;
  f.avx512_bf16 = f.avx512 && (a71 & (1u << 5)) != 0;
  f.avx_vnni = f.avx2_fma && (a71 & (1u << 4)) != 0;
  // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA), and CPUID AMX-TILE (bit 24).
  const bool amx = ((xcr0 >> 17) & 3) == 3 && (d7 & (1u << 24)) != 0 && f.avx512;
  f.amx_bf16 = amx && (d7 & (1u << 22)) != 0;
  f.amx_int8 = amx && (d7 & (1u << 25)) != 0;
  return f;
}

}  // namespace

const Features& Detected() {
  static const Features features = Detect();
  return features;
}

}  // namespace lateral::cpu

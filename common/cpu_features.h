// x86-64 instruction-set features of this CPU, detected once at run time.
//
// The release binary targets baseline x86-64 (no -march=native); hot kernels
// are compiled per function with __attribute__((target(...))) and chosen at
// start-up from these flags. Detection checks both CPUID and the register
// state the OS saves (XCR0): a CPU can report AVX-512 while the OS or a
// hypervisor leaves it disabled, and executing it then faults.
//
// Used by encoder/kernels (tier selection). Lives in common/ so that encoder/
// does not depend on query/ (query/kernels has its own older copy of the same
// detection; it can move here). Thread-safe; the result is cached.
#pragma once

namespace lateral::cpu {

struct Features {
  bool avx2_fma = false;     // AVX2 + FMA, OS saves ymm
  bool avx512 = false;       // AVX-512 F/BW/DQ/VL, OS saves zmm and opmasks
  bool avx512_vnni = false;  // vpdpbusd on zmm (int8 dot products)
  bool avx512_bf16 = false;  // vdpbf16ps / vcvtne2ps2bf16
  bool avx_vnni = false;     // VEX-encoded vpdpbusd on ymm
  bool amx_bf16 = false;     // AMX tiles with bf16 / int8, with the tile state
  bool amx_int8 = false;     // enabled in XCR0; Linux still requires a per-process
                             // permission request (arch_prctl), which callers make
};

// The features of this CPU (cached after the first call).
const Features& Detected();

}  // namespace lateral::cpu

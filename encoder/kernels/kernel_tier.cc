#include "encoder/kernels/kernel_tier.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

#include <sys/syscall.h>
#include <unistd.h>

#include "common/cpu_features.h"

namespace lateral::kernels {
namespace {

Tier EnvCap() {
  const char* env = std::getenv("LATERAL_CPU");
  if (env == nullptr) return Tier::kAmx;
  const std::string_view v(env);
  if (v == "portable" || v == "scalar") return Tier::kPortable;
  if (v == "avx2") return Tier::kAvx2;
  if (v == "avx512") return Tier::kAvx512;
  return Tier::kAmx;
}

// Linux hands out the 8 KB AMX tile state only to processes that ask
// (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); without it the first tile
// instruction faults. A refusal (old kernel, seccomp) just means no AMX tier.
bool AmxPermitted() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

std::atomic<int> g_override{-1};

}  // namespace

Tier SupportedTier() {
  static const Tier tier = [] {
    const cpu::Features& f = cpu::Detected();
    if (f.avx512 && f.avx512_bf16 && f.avx512_vnni) {
      return f.amx_int8 && AmxPermitted() ? Tier::kAmx : Tier::kAvx512;
    }
    if (f.avx2_fma) return Tier::kAvx2;
    return Tier::kPortable;
  }();
  return tier;
}

Tier ActiveTier() {
  static const Tier configured = std::min(SupportedTier(), EnvCap());
  const int forced = g_override.load(std::memory_order_relaxed);
  if (forced >= 0) return std::min(SupportedTier(), static_cast<Tier>(forced));
  return configured;
}

std::vector<Tier> AvailableTiers() {
  std::vector<Tier> tiers;
  for (int t = 0; t <= static_cast<int>(SupportedTier()); ++t) tiers.push_back(static_cast<Tier>(t));
  return tiers;
}

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kPortable:
      return "portable";
    case Tier::kAvx2:
      return "avx2";
    case Tier::kAvx512:
      return "avx512";
    case Tier::kAmx:
      return "amx";
  }
  return "unknown";
}

void SetTierForTesting(Tier tier) { g_override.store(static_cast<int>(tier), std::memory_order_relaxed); }
void ClearTierForTesting() { g_override.store(-1, std::memory_order_relaxed); }

}  // namespace lateral::kernels

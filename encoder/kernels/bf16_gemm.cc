#include "encoder/kernels/bf16_gemm.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include <cblas.h>

#include <vector>

#include "common/blas_threading.h"
#include "common/cpu_features.h"
#include "common/numeric_formats.h"
#include "encoder/kernels/amx_bf16_util.h"
#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels {
namespace {

using internal::AlignedBuffer;
using internal::AmxTileConfig;
using internal::ForEachTask;
using internal::FullAmxTileConfig;
using internal::LoadAmxConfig;
using internal::AmxBf16Block;
using internal::RoundToBf16Avx512;
using internal::RoundUp;
using internal::SplitLowAvx512;
using internal::StoreTileTransposedF32;

inline void StoreOut(float* y, bool accumulate, float v) { *y = accumulate ? *y + v : v; }

// bf16(x) widened, or with `split` hi + lo widened (exact in f32: 16 significant bits).
inline float SplitValue(float x, bool split) {
  const float hi = Bf16ToFloat(FloatToBf16(x));
  if (!split) return hi;
  return hi + Bf16ToFloat(FloatToBf16(x - hi));
}

// ---------------------------------------------------------------- portable

void RoundToBf16Portable(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = FloatToBf16(x[i]);
}

// xr: bf16-rounded activations widened back to f32, rows ldxr apart.
void TilePortable(const float* xr, int64_t ldxr, int64_t k, const uint16_t* w, int64_t ldw, float* y,
                  int64_t ldy, bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; ++i) {
    const float* xi = xr + i * ldxr;
    for (int64_t j = n0; j < n1; ++j) {
      const uint16_t* wj = w + j * ldw;
      float s = 0.0f;
      for (int64_t t = 0; t < k; ++t) s += xi[t] * Bf16ToFloat(wj[t]);
      StoreOut(y + i * ldy + j, accumulate, s);
    }
  }
}

// ---------------------------------------------------------------- AVX2

LATERAL_KERNEL_AVX2 inline __m256 LoadBf16x8(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// xr rows are zero-padded to a multiple of 8, so only w needs a scalar tail.
template <int MR, int NR>
LATERAL_KERNEL_AVX2 void MicroAvx2(const float* xr, int64_t ldxr, const uint16_t* w, int64_t ldw, int64_t k,
                                   float* y, int64_t ldy, bool accumulate) {
  __m256 c[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i][j] = _mm256_setzero_ps();
  const int64_t k8 = k / 8 * 8;
  for (int64_t t = 0; t < k8; t += 8) {
    __m256 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = LoadBf16x8(w + j * ldw + t);
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_load_ps(xr + i * ldxr + t);
      for (int j = 0; j < NR; ++j) c[i][j] = _mm256_fmadd_ps(xv, wv[j], c[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      float s = internal::HorizontalSum(c[i][j]);
      for (int64_t t = k8; t < k; ++t) s += xr[i * ldxr + t] * Bf16ToFloat(w[j * ldw + t]);
      StoreOut(y + i * ldy + j, accumulate, s);
    }
  }
}

using MicroAvx2Fn = void (*)(const float*, int64_t, const uint16_t*, int64_t, int64_t, float*, int64_t, bool);
constexpr MicroAvx2Fn kMicroAvx2[4][3] = {
    {MicroAvx2<1, 1>, MicroAvx2<1, 2>, MicroAvx2<1, 3>},
    {MicroAvx2<2, 1>, MicroAvx2<2, 2>, MicroAvx2<2, 3>},
    {MicroAvx2<3, 1>, MicroAvx2<3, 2>, MicroAvx2<3, 3>},
    {MicroAvx2<4, 1>, MicroAvx2<4, 2>, MicroAvx2<4, 3>},
};

void TileAvx2(const float* xr, int64_t ldxr, int64_t k, const uint16_t* w, int64_t ldw, float* y,
              int64_t ldy, bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; i += 4) {
    const int mr = static_cast<int>(std::min<int64_t>(4, m1 - i));
    for (int64_t j = n0; j < n1; j += 3) {
      const int nr = static_cast<int>(std::min<int64_t>(3, n1 - j));
      kMicroAvx2[mr - 1][nr - 1](xr + i * ldxr, ldxr, w + j * ldw, ldw, k, y + i * ldy + j, ldy, accumulate);
    }
  }
}

// ---------------------------------------------------------------- AVX-512 BF16


// xb rows are bf16, zero-padded to a multiple of 32; w rows are read with a
// masked load in the last step so nothing past a row's end is touched (a NaN
// there would poison the sum even when multiplied by a padding zero).
// With Split, xl holds the low halves (x - hi rounded), rows ldxb apart too.
template <int MR, int NR, bool Split>
LATERAL_KERNEL_AVX512 void MicroAvx512(const uint16_t* xb, const uint16_t* xl, int64_t ldxb, const uint16_t* w,
                                       int64_t ldw, int64_t k, float* y, int64_t ldy, bool accumulate) {
  static_assert(MR * NR <= 16);
  __m512 c[16];
  for (int a = 0; a < 16; ++a) c[a] = _mm512_setzero_ps();
  const int64_t k32 = k / 32 * 32;
  for (int64_t t = 0; t < k32; t += 32) {
    __m512bh xv[MR], lv[MR];
    for (int i = 0; i < MR; ++i) {
      xv[i] = (__m512bh)_mm512_load_si512(xb + i * ldxb + t);
      if constexpr (Split) lv[i] = (__m512bh)_mm512_load_si512(xl + i * ldxb + t);
    }
    for (int j = 0; j < NR; ++j) {
      const __m512bh wv = (__m512bh)_mm512_loadu_si512(w + j * ldw + t);
      for (int i = 0; i < MR; ++i) {
        c[i * NR + j] = _mm512_dpbf16_ps(c[i * NR + j], xv[i], wv);
        if constexpr (Split) c[i * NR + j] = _mm512_dpbf16_ps(c[i * NR + j], lv[i], wv);
      }
    }
  }
  if (k32 < k) {
    const __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << (k - k32)) - 1);
    __m512bh xv[MR], lv[MR];
    for (int i = 0; i < MR; ++i) {
      xv[i] = (__m512bh)_mm512_load_si512(xb + i * ldxb + k32);
      if constexpr (Split) lv[i] = (__m512bh)_mm512_load_si512(xl + i * ldxb + k32);
    }
    for (int j = 0; j < NR; ++j) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(mask, w + j * ldw + k32);
      for (int i = 0; i < MR; ++i) {
        c[i * NR + j] = _mm512_dpbf16_ps(c[i * NR + j], xv[i], wv);
        if constexpr (Split) c[i * NR + j] = _mm512_dpbf16_ps(c[i * NR + j], lv[i], wv);
      }
    }
  }
  alignas(64) float sums[16];
  _mm512_store_ps(sums, internal::Reduce16(c));
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) StoreOut(y + i * ldy + j, accumulate, sums[i * NR + j]);
}

using MicroAvx512Fn = void (*)(const uint16_t*, const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t,
                               float*, int64_t, bool);
// 4x4 tiles for prefill; 1x8 / 2x8 for decode, more weight rows in flight.
template <bool S>
struct MicroTables {
  static constexpr MicroAvx512Fn k4x4[4][4] = {
      {MicroAvx512<1, 1, S>, MicroAvx512<1, 2, S>, MicroAvx512<1, 3, S>, MicroAvx512<1, 4, S>},
      {MicroAvx512<2, 1, S>, MicroAvx512<2, 2, S>, MicroAvx512<2, 3, S>, MicroAvx512<2, 4, S>},
      {MicroAvx512<3, 1, S>, MicroAvx512<3, 2, S>, MicroAvx512<3, 3, S>, MicroAvx512<3, 4, S>},
      {MicroAvx512<4, 1, S>, MicroAvx512<4, 2, S>, MicroAvx512<4, 3, S>, MicroAvx512<4, 4, S>},
  };
  static constexpr MicroAvx512Fn k2x8[2][8] = {
      {MicroAvx512<1, 1, S>, MicroAvx512<1, 2, S>, MicroAvx512<1, 3, S>, MicroAvx512<1, 4, S>,
       MicroAvx512<1, 5, S>, MicroAvx512<1, 6, S>, MicroAvx512<1, 7, S>, MicroAvx512<1, 8, S>},
      {MicroAvx512<2, 1, S>, MicroAvx512<2, 2, S>, MicroAvx512<2, 3, S>, MicroAvx512<2, 4, S>,
       MicroAvx512<2, 5, S>, MicroAvx512<2, 6, S>, MicroAvx512<2, 7, S>, MicroAvx512<2, 8, S>},
  };
};

template <bool Split>
void TileAvx512(const uint16_t* xb, const uint16_t* xl, int64_t ldxb, int64_t k, const uint16_t* w, int64_t ldw,
                float* y, int64_t ldy, bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const bool narrow = m1 - m0 <= 2;
  const int64_t MR = narrow ? 2 : 4, NR = narrow ? 8 : 4;
  for (int64_t i = m0; i < m1; i += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, m1 - i));
    for (int64_t j = n0; j < n1; j += NR) {
      const int nr = static_cast<int>(std::min<int64_t>(NR, n1 - j));
      const MicroAvx512Fn fn =
          narrow ? MicroTables<Split>::k2x8[mr - 1][nr - 1] : MicroTables<Split>::k4x4[mr - 1][nr - 1];
      fn(xb + i * ldxb, xl + i * ldxb, ldxb, w + j * ldw, ldw, k, y + i * ldy + j, ldy, accumulate);
    }
  }
}

// ---------------------------------------------------------------- AVX-512 f32 FMA on widened bf16

// xf rows hold each 32-column block of x deinterleaved: the 16 even columns,
// then the 16 odd ones (f32, zero-padded), so that a 64-byte load of 32 bf16
// weights splits into its even half (shift left 16) and odd half (mask the low
// 16 bits away) with one cheap op each, no shuffles.
LATERAL_KERNEL_AVX512 void DeinterleaveRowAvx512(const float* x, int64_t k, int64_t ldxf, float* out) {
  const __m512i even_idx = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd_idx = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  for (int64_t t = 0; t < ldxf; t += 32) {
    const int64_t left = k - t;
    const __mmask16 lo_mask =
        left >= 16 ? static_cast<__mmask16>(0xFFFF) : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    const int64_t left_hi = left - 16;
    const __mmask16 hi_mask = left_hi >= 16  ? static_cast<__mmask16>(0xFFFF)
                              : left_hi <= 0 ? 0
                                             : static_cast<__mmask16>((1u << left_hi) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(lo_mask, x + t);
    const __m512 b = _mm512_maskz_loadu_ps(hi_mask, x + t + 16);
    _mm512_store_ps(out + t, _mm512_permutex2var_ps(a, even_idx, b));
    _mm512_store_ps(out + t + 16, _mm512_permutex2var_ps(a, odd_idx, b));
  }
}

template <int MR, int NR>
LATERAL_KERNEL_AVX512 void MicroWiden(const float* xf, int64_t ldxf, const uint16_t* w, int64_t ldw, int64_t k,
                                      float* y, int64_t ldy, bool accumulate) {
  static_assert(MR * NR <= 16);
  __m512 c[16];
  for (int a = 0; a < 16; ++a) c[a] = _mm512_setzero_ps();
  const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  auto step = [&](int64_t t, __mmask32 mask) LATERAL_KERNEL_AVX512 {
    __m512 xe[MR], xo[MR];
    for (int i = 0; i < MR; ++i) {
      xe[i] = _mm512_load_ps(xf + i * ldxf + t);
      xo[i] = _mm512_load_ps(xf + i * ldxf + t + 16);
    }
    for (int j = 0; j < NR; ++j) {
      const __m512i v = _mm512_maskz_loadu_epi16(mask, w + j * ldw + t);
      const __m512 we = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
      const __m512 wo = _mm512_castsi512_ps(_mm512_and_si512(v, high));
      for (int i = 0; i < MR; ++i) {
        c[i * NR + j] = _mm512_fmadd_ps(xe[i], we, c[i * NR + j]);
        c[i * NR + j] = _mm512_fmadd_ps(xo[i], wo, c[i * NR + j]);
      }
    }
  };
  const int64_t k32 = k / 32 * 32;
  for (int64_t t = 0; t < k32; t += 32) step(t, static_cast<__mmask32>(0xFFFFFFFFu));
  if (k32 < k) step(k32, static_cast<__mmask32>((uint64_t{1} << (k - k32)) - 1));
  alignas(64) float sums[16];
  _mm512_store_ps(sums, internal::Reduce16(c));
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) StoreOut(y + i * ldy + j, accumulate, sums[i * NR + j]);
}

using MicroWidenFn = void (*)(const float*, int64_t, const uint16_t*, int64_t, int64_t, float*, int64_t, bool);
constexpr MicroWidenFn kWiden4x4[4][4] = {
    {MicroWiden<1, 1>, MicroWiden<1, 2>, MicroWiden<1, 3>, MicroWiden<1, 4>},
    {MicroWiden<2, 1>, MicroWiden<2, 2>, MicroWiden<2, 3>, MicroWiden<2, 4>},
    {MicroWiden<3, 1>, MicroWiden<3, 2>, MicroWiden<3, 3>, MicroWiden<3, 4>},
    {MicroWiden<4, 1>, MicroWiden<4, 2>, MicroWiden<4, 3>, MicroWiden<4, 4>},
};
constexpr MicroWidenFn kWiden2x8[2][8] = {
    {MicroWiden<1, 1>, MicroWiden<1, 2>, MicroWiden<1, 3>, MicroWiden<1, 4>, MicroWiden<1, 5>, MicroWiden<1, 6>,
     MicroWiden<1, 7>, MicroWiden<1, 8>},
    {MicroWiden<2, 1>, MicroWiden<2, 2>, MicroWiden<2, 3>, MicroWiden<2, 4>, MicroWiden<2, 5>, MicroWiden<2, 6>,
     MicroWiden<2, 7>, MicroWiden<2, 8>},
};

void TileWiden(const float* xf, int64_t ldxf, int64_t k, const uint16_t* w, int64_t ldw, float* y, int64_t ldy,
               bool accumulate, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const bool narrow = m1 - m0 <= 2;
  const int64_t MR = narrow ? 2 : 4, NR = narrow ? 8 : 4;
  for (int64_t i = m0; i < m1; i += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, m1 - i));
    for (int64_t j = n0; j < n1; j += NR) {
      const int nr = static_cast<int>(std::min<int64_t>(NR, n1 - j));
      const MicroWidenFn fn = narrow ? kWiden2x8[mr - 1][nr - 1] : kWiden4x4[mr - 1][nr - 1];
      fn(xf + i * ldxf, ldxf, w + j * ldw, ldw, k, y + i * ldy + j, ldy, accumulate);
    }
  }
}

// kF32 products with enough activation rows to be compute-bound: widen a
// panel of weight rows to f32 in a per-thread buffer and hand it to OpenBLAS
// sgemm, whose packed micro-kernels run the FMA ports near peak (on Sapphire
// Rapids they outrun both vdpbf16ps and the widening kernel above). The
// conversion costs k·NB per panel against m·k·NB multiply-adds.
constexpr int64_t kSgemmMinRows = 16;

LATERAL_KERNEL_AVX2 void WidenRowAvx2(const uint16_t* in, int64_t k, float* out) {
  int64_t t = 0;
  for (; t + 8 <= k; t += 8) _mm256_storeu_ps(out + t, LoadBf16x8(in + t));
  for (; t < k; ++t) out[t] = Bf16ToFloat(in[t]);
}

constexpr int64_t kSgemmPanelRows = 256;

void Bf16GemmViaSgemm(const float* x, int64_t m, int64_t k, int64_t ldx, const uint16_t* w, int64_t n,
                      int64_t ldw, float* y, int64_t ldy, bool accumulate) {
  SetUpBlasThreading();
  const int64_t panels = (n + kSgemmPanelRows - 1) / kSgemmPanelRows;
  auto panel = [&](int64_t p) {
    const int64_t n0 = p * kSgemmPanelRows, rows = std::min(kSgemmPanelRows, n - n0);
    thread_local std::vector<float> buffer;
    buffer.resize(static_cast<size_t>(rows * k));
    for (int64_t j = 0; j < rows; ++j) WidenRowAvx2(w + (n0 + j) * ldw, k, buffer.data() + j * k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(rows),
                static_cast<int>(k), 1.0f, x, static_cast<int>(ldx), buffer.data(), static_cast<int>(k),
                accumulate ? 1.0f : 0.0f, y + n0, static_cast<int>(ldy));
  };
  if (panels == 1 || tbb::this_task_arena::max_concurrency() <= 1) {
    for (int64_t p = 0; p < panels; ++p) panel(p);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, panels, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t p = r.begin(); p < r.end(); ++p) panel(p);
  });
}

// ---------------------------------------------------------------- AMX-BF16

// PackSplitActivations, AmxBf16Block and StoreTileTransposedF32: amx_bf16_util.h.


// Rows [0, n32) of the product, n32 = n / 32 * 32; requires k % 32 == 0.
void Bf16GemmAmx(const float* x, int64_t m, int64_t k, int64_t ldx, const uint16_t* w, int64_t n32, int64_t ldw,
                 float* y, int64_t ldy, bool accumulate) {
  const int64_t mp = RoundUp(m, 32), block_bytes = k * 32;  // 16 rows x k bf16
  AlignedBuffer<int8_t> hi(mp / 16 * block_bytes), mid(mp / 16 * block_bytes);
  internal::PackSplitActivations(x, m, k, ldx, k, hi.data(), mid.data());
  const AmxTileConfig config = FullAmxTileConfig();
  // A task: 128 weight rows x an activation block whose two packed parts
  // (4k bytes a row) stay within about 1 MB of L2.
  constexpr int64_t kTaskRows = 128;
  const int64_t kTaskCols = std::clamp<int64_t>((int64_t{1} << 20) / (4 * k) / 32 * 32, 32, 256);
  const int64_t n_tasks = (n32 + kTaskRows - 1) / kTaskRows, m_tasks = (mp + kTaskCols - 1) / kTaskCols;
  auto task = [&](int64_t t) {
    alignas(64) float c[4 * 256];
    LoadAmxConfig(config);
    const int64_t ni = t / m_tasks, mi = t % m_tasks;
    for (int64_t n0 = ni * kTaskRows; n0 < std::min(n32, (ni + 1) * kTaskRows); n0 += 32) {
      for (int64_t m0 = mi * kTaskCols; m0 < std::min(mp, (mi + 1) * kTaskCols); m0 += 32) {
        const int64_t b = m0 / 16;
        const int8_t* parts[2] = {hi.data() + b * block_bytes, mid.data() + b * block_bytes};
        AmxBf16Block(w + n0 * ldw, ldw * 2, parts, block_bytes, k / 32, c);
        for (int wi = 0; wi < 2; ++wi) {
          for (int xi = 0; xi < 2; ++xi) {
            const int64_t i0 = m0 + 16 * xi;
            const int cols = static_cast<int>(std::min<int64_t>(16, m - i0));
            if (cols <= 0) continue;
            StoreTileTransposedF32(c + (2 * wi + xi) * 256, n0 + 16 * wi, 16, i0, cols, y, ldy, accumulate);
          }
        }
      }
    }
  };
  ForEachTask(n_tasks * m_tasks, task);
}

}  // namespace

void RoundToBf16(Tier tier, const float* x, int64_t n, uint16_t* out) {
  if (tier >= Tier::kAvx512) {
    RoundToBf16Avx512(x, n, out);
  } else {
    RoundToBf16Portable(x, n, out);
  }
}

Bf16Activations DefaultBf16Activations() {
  static const Bf16Activations mode = [] {
    const char* env = std::getenv("LATERAL_BF16_ACTIVATIONS");
    const std::string_view v = env == nullptr ? "" : env;
    if (v == "rounded") return Bf16Activations::kRounded;
    if (v == "split") return Bf16Activations::kSplit;
    return Bf16Activations::kF32;
  }();
  return mode;
}

void Bf16Gemm(Tier tier, Bf16Activations mode, const float* x, int64_t m, int64_t k, int64_t ldx,
              const uint16_t* w, int64_t n, int64_t ldw, float* y, int64_t ldy, bool accumulate) {
  const bool split = mode == Bf16Activations::kSplit;
  const bool exact = mode == Bf16Activations::kF32;
  if (m <= 0 || n <= 0) return;
  tier = std::min(tier, SupportedTier());
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        if (!accumulate) y[i * ldy + j] = 0.0f;
    return;
  }
  if (tier == Tier::kAmx && exact && m >= kSgemmMinRows && k % 32 == 0 && n >= 32 &&
      cpu::Detected().amx_bf16) {
    const int64_t n32 = n / 32 * 32;
    Bf16GemmAmx(x, m, k, ldx, w, n32, ldw, y, ldy, accumulate);
    if (n32 < n) Bf16Gemm(Tier::kAvx512, mode, x, m, k, ldx, w + n32 * ldw, n - n32, ldw, y + n32, ldy, accumulate);
    return;
  }
  if (exact && tier != Tier::kPortable && m >= kSgemmMinRows) {
    Bf16GemmViaSgemm(x, m, k, ldx, w, n, ldw, y, ldy, accumulate);
    return;
  }
  if (tier >= Tier::kAvx512 && exact) {
    const int64_t ldxf = RoundUp(k, 32);
    AlignedBuffer<float> xf(m * ldxf);
    internal::ForRowBlocks(m, k, [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) DeinterleaveRowAvx512(x + i * ldx, k, ldxf, xf.data() + i * ldxf);
    });
    internal::RunTiles(m, n, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
      TileWiden(xf.data(), ldxf, k, w, ldw, y, ldy, accumulate, m0, m1, n0, n1);
    });
    return;
  }
  if (tier >= Tier::kAvx512) {
    const int64_t ldxb = RoundUp(k, 32);
    AlignedBuffer<uint16_t> xb(m * ldxb);
    AlignedBuffer<uint16_t> xl(split ? m * ldxb : 1);
    internal::ForRowBlocks(m, k, [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        uint16_t* row = xb.data() + i * ldxb;
        RoundToBf16Avx512(x + i * ldx, k, row);
        std::memset(row + k, 0, (ldxb - k) * sizeof(uint16_t));
        if (split) SplitLowAvx512(x + i * ldx, k, row, ldxb, xl.data() + i * ldxb);
      }
    });
    internal::RunTiles(m, n, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
      if (split) {
        TileAvx512<true>(xb.data(), xl.data(), ldxb, k, w, ldw, y, ldy, accumulate, m0, m1, n0, n1);
      } else {
        TileAvx512<false>(xb.data(), xb.data(), ldxb, k, w, ldw, y, ldy, accumulate, m0, m1, n0, n1);
      }
    });
    return;
  }
  // Portable and AVX2 work on the bf16-rounded activations widened back to f32.
  const int64_t ldxr = RoundUp(k, 8);
  AlignedBuffer<float> xr(m * ldxr);
  internal::ForRowBlocks(m, k, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      float* row = xr.data() + i * ldxr;
      for (int64_t t = 0; t < k; ++t) row[t] = exact ? x[i * ldx + t] : SplitValue(x[i * ldx + t], split);
      for (int64_t t = k; t < ldxr; ++t) row[t] = 0.0f;
    }
  });
  internal::RunTiles(m, n, k, [&](int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    if (tier == Tier::kAvx2) {
      TileAvx2(xr.data(), ldxr, k, w, ldw, y, ldy, accumulate, m0, m1, n0, n1);
    } else {
      TilePortable(xr.data(), ldxr, k, w, ldw, y, ldy, accumulate, m0, m1, n0, n1);
    }
  });
}

}  // namespace lateral::kernels

// Internals shared by the encoder's GEMM kernels (not a public API): target
// attribute spellings, 64-byte aligned scratch, the tile scheduler, and the
// 16-accumulator horizontal reductions of the AVX-512 micro-kernels.
//
// RunTiles is the one place that decides threading: it splits y[m, n] into
// tiles (whole weight-row panels for decode-sized m, 64 x 64 or 64 x 256
// blocks for prefill) and runs them on the calling TBB arena, so encoder threading never
// stacks on another pool (no oversubscription).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

#define LATERAL_KERNEL_AVX2 __attribute__((target("avx2,fma")))
#define LATERAL_KERNEL_AVX512 \
  __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx512vnni")))

namespace lateral::kernels::internal {

inline int64_t RoundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// Uninitialised 64-byte aligned array (cache-line aligned rows avoid split loads).
template <typename T>
class AlignedBuffer {
 public:
  explicit AlignedBuffer(int64_t count)
      : data_(static_cast<T*>(std::aligned_alloc(64, static_cast<size_t>(RoundUp(count * sizeof(T) + 1, 64))))) {}
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  T* data_;
};

// Rows of activations below this count are a "decode" product: tiles span all
// m rows and split only the weight rows, so each weight is read once.
constexpr int64_t kGemvRows = 8;

// Runs tile(m0, m1, n0, n1) over a partition of [0, m) x [0, n). Consecutive
// tiles share a weight panel (n block) so it stays in L2 while x blocks pass.
template <typename TileFn>
void RunTiles(int64_t m, int64_t n, int64_t k, TileFn&& tile) {
  if (m <= 0 || n <= 0) return;
  const int threads = tbb::this_task_arena::max_concurrency();
  // Prefill: a 256-row weight panel (256 KB at k = 1024 in int8) stays in L2
  // while 64-row activation blocks pass; fewer panels mean fewer passes over x.
  const int64_t mb = m <= kGemvRows ? m : 64;
  int64_t nb = m >= 256 ? 256 : 64;
  if (m <= kGemvRows) {
    // Enough panels for load balance, but each large enough to amortise a task.
    nb = std::max<int64_t>(16, RoundUp((n + threads * 8 - 1) / (threads * 8), 16));
    nb = std::min<int64_t>(nb, 256);
  }
  const int64_t mt = (m + mb - 1) / mb, nt = (n + nb - 1) / nb;
  auto run = [&](int64_t t) {
    const int64_t mi = t % mt, ni = t / mt;
    tile(mi * mb, std::min(m, (mi + 1) * mb), ni * nb, std::min(n, (ni + 1) * nb));
  };
  const double work = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (threads <= 1 || mt * nt == 1 || work < 1.0e6) {
    for (int64_t t = 0; t < mt * nt; ++t) run(t);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, mt * nt), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t t = r.begin(); t < r.end(); ++t) run(t);
  });
}

// Runs task(t) for every t in [0, tasks): in the calling thread when there is
// one task or one thread, else as oneTBB tasks of one each (each is large:
// a block of output rows x columns).
template <typename Task>
void ForEachTask(int64_t tasks, Task&& task) {
  if (tasks == 1 || tbb::this_task_arena::max_concurrency() <= 1) {
    for (int64_t t = 0; t < tasks; ++t) task(t);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, tasks, 1), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t t = r.begin(); t < r.end(); ++t) task(t);
  });
}

// The AMX tile configuration (palette 1) that the bf16 and int8 AMX kernels
// load: all eight tiles 16 rows x 64 bytes (tmm0-3: C, tmm4-5: A, tmm6-7: B).
struct alignas(64) AmxTileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

inline AmxTileConfig FullAmxTileConfig() {
  AmxTileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.colsb[t] = 64;
    config.rows[t] = 16;
  }
  return config;
}

// Loads `config` into this thread's tile registers. AMX kernels call it once
// per task (per 32 x 32 block it cost as much as a k-step).
__attribute__((target("amx-tile"))) inline void LoadAmxConfig(const AmxTileConfig& config) {
  _tile_loadconfig(&config);
}

// Runs body(r0, r1) over row ranges of [0, rows), in parallel when large.
template <typename Body>
void ForRowBlocks(int64_t rows, int64_t cols, Body&& body) {
  if (rows * cols < (1 << 16) || tbb::this_task_arena::max_concurrency() <= 1) {
    body(int64_t{0}, rows);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(cols, 1));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); });
}

// Horizontal sums of 16 vectors: lane i of the result is the sum of c[i].
LATERAL_KERNEL_AVX512 inline __m512 Reduce16(const __m512* c) {
  __m512 r1[8];
  for (int p = 0; p < 8; ++p) {
    r1[p] = _mm512_add_ps(_mm512_unpacklo_ps(c[2 * p], c[2 * p + 1]), _mm512_unpackhi_ps(c[2 * p], c[2 * p + 1]));
  }
  __m512 r2[4];
  for (int q = 0; q < 4; ++q) {
    const __m512d u = _mm512_castps_pd(r1[2 * q]), v = _mm512_castps_pd(r1[2 * q + 1]);
    r2[q] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(u, v)), _mm512_castpd_ps(_mm512_unpackhi_pd(u, v)));
  }
  const __m512 s01 = _mm512_add_ps(_mm512_shuffle_f32x4(r2[0], r2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(r2[0], r2[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 s23 = _mm512_add_ps(_mm512_shuffle_f32x4(r2[2], r2[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(r2[2], r2[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// r[a][b] -> r[b][a] for a 16 x 16 block of floats: 32-bit, 64-bit and two
// 128-bit-lane interleaves (64 shuffles, a quarter of what 16 gathers cost).
LATERAL_KERNEL_AVX512 inline void Transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int p = 0; p < 8; ++p) {
    t[2 * p] = _mm512_unpacklo_ps(r[2 * p], r[2 * p + 1]);
    t[2 * p + 1] = _mm512_unpackhi_ps(r[2 * p], r[2 * p + 1]);
  }
  // u[4q + c], 128-bit lane L: column 4L + c of rows 4q..4q+3.
  __m512 u[16];
  for (int q = 0; q < 4; ++q) {
    const __m512d t0 = _mm512_castps_pd(t[4 * q]), t1 = _mm512_castps_pd(t[4 * q + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * q + 2]), t3 = _mm512_castps_pd(t[4 * q + 3]);
    u[4 * q + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 s0 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 s1 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 s2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 s3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 2, 3, 2));
    r[c] = _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(2, 0, 2, 0));
    r[4 + c] = _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(3, 1, 3, 1));
    r[8 + c] = _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(2, 0, 2, 0));
    r[12 + c] = _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

// The same for 32-bit integers (exact).
LATERAL_KERNEL_AVX512 inline __m512i Reduce16(const __m512i* c) {
  __m512i r1[8];
  for (int p = 0; p < 8; ++p) {
    r1[p] = _mm512_add_epi32(_mm512_unpacklo_epi32(c[2 * p], c[2 * p + 1]),
                             _mm512_unpackhi_epi32(c[2 * p], c[2 * p + 1]));
  }
  __m512i r2[4];
  for (int q = 0; q < 4; ++q) {
    r2[q] = _mm512_add_epi32(_mm512_unpacklo_epi64(r1[2 * q], r1[2 * q + 1]),
                             _mm512_unpackhi_epi64(r1[2 * q], r1[2 * q + 1]));
  }
  const __m512i s01 = _mm512_add_epi32(_mm512_shuffle_i32x4(r2[0], r2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_i32x4(r2[0], r2[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i s23 = _mm512_add_epi32(_mm512_shuffle_i32x4(r2[2], r2[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_i32x4(r2[2], r2[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(s01, s23, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i32x4(s01, s23, _MM_SHUFFLE(3, 1, 3, 1)));
}

LATERAL_KERNEL_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

LATERAL_KERNEL_AVX2 inline int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

}  // namespace lateral::kernels::internal

// AVX-512 / AMX-BF16 building blocks shared by the bf16 and q4 kernels (not a
// public API): bf16 rounding of activations, the hi + mid split, packing of
// 16 activation rows into B tiles (PackSplitActivations does all three for a
// whole input), one 32 x 32 AMX-BF16 block, and the
// transposed store of its C tiles. bf16_gemm.cc multiplies weights read in
// place; q4_gemm.cc dequantises 32-row weight blocks to bf16 (exactly, see
// q4_gemm.h) and runs the same blocks, so both compute the same function of
// the activations.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "encoder/kernels/kernel_util.h"

namespace lateral::kernels::internal {

LATERAL_KERNEL_AVX512 inline void RoundToBf16Avx512(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh b = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), (__m256i)b);
  }
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + i));
    _mm256_mask_storeu_epi16(out + i, mask, (__m256i)b);
  }
}

// lo[t] = bf16(x[t] - hi[t]) for t < k, zero in the padding up to ldxb.
// x - hi is exact in f32 (Sterbenz: hi is x rounded to 8 significant bits).
LATERAL_KERNEL_AVX512 inline void SplitLowAvx512(const float* x, int64_t k, const uint16_t* hi, int64_t ldxb,
                                          uint16_t* lo) {
  for (int64_t t = 0; t < ldxb; t += 16) {
    const int64_t left = k - t;
    const __mmask16 mask =
        left >= 16 ? static_cast<__mmask16>(0xFFFF) : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    const __m256i h = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi + t));
    const __m512 hf = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    const __m512 xf = _mm512_maskz_loadu_ps(mask, x + t);
    const __m256bh l = _mm512_cvtneps_pbh(_mm512_maskz_sub_ps(mask, xf, hf));
    _mm256_store_si256(reinterpret_cast<__m256i*>(lo + t), (__m256i)l);
  }
}

// kF32 products with 16+ activation rows on AMX: each activation is split
// into two bf16 parts, x ≈ hi + mid (8 significant bits each, 16 in all:
// within 2^-17 of x relative, the precision kSplit has), and every tile
// product is exact in f32. A third part would make the result the kF32
// product up to summation order, but costs half as much again, and two
// already give per-token cosine > 0.99999 against f32 on the 350M shape
// (model_bench --benchmark_filter=Accuracy) with the fixtures' greedy tokens
// unchanged; one part alone (kRounded) misses 0.9999. Weights are read in place as A
// tiles (16 rows x 32 values). Only whole 32-row weight blocks and k a
// multiple of 32 run here; the caller sends the rest elsewhere. C is yᵀ, as
// in the int8 AMX kernel. tmm0-3: C; tmm4-5: A; tmm6-7: B (each part in turn).
// parts[p] + block_bytes is the second activation block of part p.
//
// The caller loaded FullAmxTileConfig() on this thread (once per task:
// loading it per block cost as much as a k-step). Loads are interleaved with
// the products that free their tile registers first.
__attribute__((target("amx-tile,amx-bf16"))) inline void AmxBf16Block(const uint16_t* a, int64_t lda_bytes,
                                                                const int8_t* const* parts, int64_t block_bytes,
                                                                int64_t k_steps, float* c) {
  asm volatile("" ::: "memory");  // the tile asm does not declare the memory it reads
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const int8_t* ab = reinterpret_cast<const int8_t*>(a);
  for (int64_t s = 0; s < k_steps; ++s) {
    _tile_loadd(4, ab + s * 64, lda_bytes);
    for (int p = 0; p < 2; ++p) {  // hi, then mid
      _tile_loadd(6, parts[p] + s * 1024, 64);
      _tile_dpbf16ps(0, 4, 6);
      _tile_loadd(7, parts[p] + block_bytes + s * 1024, 64);
      _tile_dpbf16ps(1, 4, 7);
      if (p == 0) _tile_loadd(5, ab + 16 * lda_bytes + s * 64, lda_bytes);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, c, 64);
  _tile_stored(1, c + 256, 64);
  _tile_stored(2, c + 512, 64);
  _tile_stored(3, c + 768, 64);
  asm volatile("" ::: "memory");
}

// Packs 16 rows (ld bytes apart) into B tiles: 4-byte group g (a bf16 pair)
// of every row becomes 64 bytes.
LATERAL_KERNEL_AVX512 inline void PackPairs16(const uint16_t* rows, int64_t ld_elems, int64_t k, int8_t* out) {
  const __m512i index = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32(static_cast<int>(ld_elems * 2)));
  for (int64_t g = 0; g < k / 2; ++g) {
    _mm512_store_si512(out + g * 64, _mm512_i32gather_epi32(index, rows + 2 * g, 1));
  }
}

// Splits rows [0, m) of x [m, k] (rows ldx apart) into bf16 parts hi + mid
// and packs them as B tiles: 16-row block b of each part at b * block_bytes
// of `hi` / `mid` (block_bytes = 32 · kp), rows past m and columns [k, kp)
// zero. kp >= k is a multiple of 32; both buffers hold RoundUp(m, 32) / 16 blocks.
LATERAL_KERNEL_AVX512 inline void PackSplitActivations(const float* x, int64_t m, int64_t k, int64_t ldx, int64_t kp,
                                                       int8_t* hi, int8_t* mid) {
  const int64_t blocks = RoundUp(m, 32) / 16, block_bytes = kp * 32;
  ForRowBlocks(blocks, 16 * k, [&](int64_t b0, int64_t b1) {
    AlignedBuffer<uint16_t> rows_hi(16 * kp), rows_mid(16 * kp);
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t r = 0; r < 16; ++r) {
        const int64_t i = b * 16 + r;
        uint16_t* h = rows_hi.data() + r * kp;
        uint16_t* md = rows_mid.data() + r * kp;
        if (i < m) {
          const float* xi = x + i * ldx;
          RoundToBf16Avx512(xi, k, h);
          std::memset(h + k, 0, (kp - k) * 2);
          SplitLowAvx512(xi, k, h, kp, md);  // mid = bf16(x - hi)
        } else {
          std::memset(h, 0, kp * 2);
          std::memset(md, 0, kp * 2);
        }
      }
      PackPairs16(rows_hi.data(), kp, kp, hi + b * block_bytes);
      PackPairs16(rows_mid.data(), kp, kp, mid + b * block_bytes);
    }
  });
}

// y[i0 + col][j0 + r] (+)= ct[r][col] for the valid part of one C tile: the
// tile is transposed in registers and stored as `cols` rows of y. (Scattering
// down 16 rows of y wrote 16 cache lines per instruction and took 15% of an
// encoding's time; gathering the columns instead still took 16 gathers.)
LATERAL_KERNEL_AVX512 inline void StoreTileTransposedF32(const float* ct, int64_t j0, int rows, int64_t i0, int cols,
                                                  float* y, int64_t ldy, bool accumulate) {
  const __mmask16 mask = rows >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rows) - 1);
  __m512 r[16];
  for (int jr = 0; jr < 16; ++jr) r[jr] = _mm512_load_ps(ct + jr * 16);
  internal::Transpose16x16(r);
  for (int col = 0; col < cols; ++col) {
    __m512 v = r[col];
    float* out = y + (i0 + col) * ldy + j0;
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), v);
    _mm512_mask_storeu_ps(out, mask, v);
  }
}

}  // namespace lateral::kernels::internal

// The two backward products of a layer with int8-coded operands (ternary
// weights, int8 activation codes) on AMX bf16 tiles (kernels/int8_grad.hpp
// states what they compute). Every int8 value is exact in bf16 (at most 8
// significant bits); the f32 operand is split exactly into three bf16 parts
// (truncation: hi = the top 8 significant bits, mid = the next 8 of the
// remainder, lo = what is left, at most 8 bits), so each tile product is
// exact and only the f32 sums round, as in an f32 GEMM.
//
// Tiles: all eight are 16 rows x 64 bytes. A operand tiles are 16 rows x 32
// bf16 (row-major, k along the row); B operand tiles are 16 rows of k pairs
// x 16 columns x 2 bf16 (AMX's "VNNI" layout: a 32-bit word per column
// holding k even in its low half, k odd in its high half). Packed operands
// keep one such 1 KiB tile after the other.
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/amx/amx_tiles.hpp"

namespace lowbit::amx {

namespace {

constexpr int64_t kTileWords = 512;  // uint16 per tile

// x = p0 + p1 + p2 exactly, each part's bf16 in the high half of its lane.
inline void split3(__m512 x, __m512i p[3]) {
  const __m512i high = _mm512_set1_epi32(int32_t(0xFFFF0000u));
  p[0] = _mm512_and_si512(_mm512_castps_si512(x), high);
  const __m512 r1 = _mm512_sub_ps(x, _mm512_castsi512_ps(p[0]));  // exact: x's low 16 significand bits
  p[1] = _mm512_and_si512(_mm512_castps_si512(r1), high);
  const __m512 r2 = _mm512_sub_ps(r1, _mm512_castsi512_ps(p[1]));  // exact, at most 8 significant bits
  p[2] = _mm512_and_si512(_mm512_castps_si512(r2), high);
}

// 16 int8 -> their bf16 in the high half of each lane (exact).
inline __m512i int8_bf16_high(__m128i v) { return _mm512_castps_si512(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v))); }

// The VNNI word of two lanes' bf16 (both in the high halves): even k low.
inline __m512i pair_words(__m512i even, __m512i odd) {
  return _mm512_or_si512(_mm512_srli_epi32(even, 16), _mm512_and_si512(odd, _mm512_set1_epi32(int32_t(0xFFFF0000u))));
}

// The high halves of a's and b's lanes as 32 bf16 (a's first).
inline __m512i high_halves(__m512i a, __m512i b) {
  alignas(64) static const uint16_t idx[32] = {1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
                                               33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61, 63};
  return _mm512_permutex2var_epi16(a, _mm512_load_si512(idx), b);
}

// C (2 x 2 tiles: rows 0-15 / 16-31, columns 0-15 / 16-31) into out[32][32].
inline void store_c(float* out) {
  _tile_stored(0, out, 128);
  _tile_stored(1, out + 16, 128);
  _tile_stored(2, out + 16 * 32, 128);
  _tile_stored(3, out + 16 * 32 + 16, 128);
}

// Three-part products: C[i][j] += A_i(part p) x B_j(part p) summed over the
// split side's parts, the other side's single tile reused.
#define LOWBIT_DP4()       \
  _tile_dpbf16ps(0, 4, 6); \
  _tile_dpbf16ps(1, 4, 7); \
  _tile_dpbf16ps(2, 5, 6); \
  _tile_dpbf16ps(3, 5, 7)

}  // namespace

int64_t k_tiles(int64_t k) { return (k + 31) / 32; }
int64_t pad32(int64_t n) { return (n + 31) / 32 * 32; }

// b [K, N] int8 (row-major, stride N) -> B tiles [N/16][K/32] (N padded to 32).
void pack_b_int8(const int8_t* b, int64_t K, int64_t N, int64_t nt0, int64_t nt1, uint16_t* out) {
  const int64_t nkt = k_tiles(K);
  for (int64_t nt = nt0; nt < nt1; ++nt) {
    const int64_t n0 = nt * 16;
    const __mmask16 live = lanes_below(N - n0);
    for (int64_t kt = 0; kt < nkt; ++kt) {
      uint16_t* tile = out + (nt * nkt + kt) * kTileWords;
      for (int64_t r = 0; r < 16; ++r) {
        const int64_t k = kt * 32 + 2 * r;
        const __m128i e = k < K ? _mm_maskz_loadu_epi8(live, b + k * N + n0) : _mm_setzero_si128();
        const __m128i o = k + 1 < K ? _mm_maskz_loadu_epi8(live, b + (k + 1) * N + n0) : _mm_setzero_si128();
        _mm512_storeu_si512(tile + r * 32, pair_words(int8_bf16_high(e), int8_bf16_high(o)));
      }
    }
  }
}

// a^T for a [K, M] int8 (stride lda): A tiles [M/16][K/32] of A[m][k] = a[k][m].
void pack_at_int8(const int8_t* a, int64_t lda, int64_t K, int64_t M, int64_t mt0, int64_t mt1, uint16_t* out) {
  const int64_t nkt = k_tiles(K);
  for (int64_t mt = mt0; mt < mt1; ++mt) {
    const int64_t m0 = mt * 16;
    const __mmask16 live = lanes_below(M - m0);
    for (int64_t kt = 0; kt < nkt; ++kt) {
      __m512i v[16];  // v[p] lane m: the word of k pair p for row m
      for (int64_t p = 0; p < 16; ++p) {
        const int64_t k = kt * 32 + 2 * p;
        const __m128i e = k < K ? _mm_maskz_loadu_epi8(live, a + k * lda + m0) : _mm_setzero_si128();
        const __m128i o = k + 1 < K ? _mm_maskz_loadu_epi8(live, a + (k + 1) * lda + m0) : _mm_setzero_si128();
        v[p] = pair_words(int8_bf16_high(e), int8_bf16_high(o));
      }
      transpose16(v);
      uint16_t* tile = out + (mt * nkt + kt) * kTileWords;
      for (int r = 0; r < 16; ++r) _mm512_storeu_si512(tile + r * 32, v[r]);
    }
  }
}

// C[m0:m1, 0:N] = (scale * A[m0:m1, 0:K]) x B, A f32 (stride lda), B packed
// by pack_b_int8 (N columns, K rows), C stride ldc.
void gemm_f32a_tiles_b(const float* A, int64_t lda, int64_t m0, int64_t m1, int64_t K, float scale, const uint16_t* B,
                       int64_t N, float* C, int64_t ldc) {
  const int64_t nkt = k_tiles(K), Np = pad32(N);
  thread_local std::vector<uint16_t> panel;  // [2 row tiles][nkt][3 parts] tiles
  panel.resize(size_t(2 * nkt * 3 * kTileWords));
  alignas(64) float scratch[32 * 32];
  const __m512 sv = _mm512_set1_ps(scale);
  configure_tiles();
  for (int64_t mb = m0; mb < m1; mb += 32) {
    const int64_t rows = std::min<int64_t>(32, m1 - mb);
    for (int64_t r = 0; r < 32; ++r) {
      uint16_t* row_tiles = panel.data() + (r / 16) * nkt * 3 * kTileWords + (r % 16) * 32;
      for (int64_t kt = 0; kt < nkt; ++kt) {
        const int64_t k = kt * 32;
        __m512 x0 = _mm512_setzero_ps(), x1 = _mm512_setzero_ps();
        if (r < rows) {
          const float* src = A + (mb + r) * lda + k;
          x0 = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes_below(K - k), src), sv);
          x1 = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes_below(K - k - 16), src + 16), sv);
        }
        __m512i p0[3], p1[3];
        split3(x0, p0);
        split3(x1, p1);
        for (int p = 0; p < 3; ++p)
          _mm512_storeu_si512(row_tiles + (kt * 3 + p) * kTileWords, high_halves(p0[p], p1[p]));
      }
    }
    for (int64_t nb = 0; nb < Np; nb += 32) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      const uint16_t* b0 = B + (nb / 16) * nkt * kTileWords;
      const uint16_t* b1 = b0 + nkt * kTileWords;
      const uint16_t* a0 = panel.data();
      const uint16_t* a1 = a0 + nkt * 3 * kTileWords;
      for (int64_t kt = 0; kt < nkt; ++kt) {
        _tile_loadd(6, b0 + kt * kTileWords, 64);
        _tile_loadd(7, b1 + kt * kTileWords, 64);
        for (int p = 0; p < 3; ++p) {
          _tile_loadd(4, a0 + (kt * 3 + p) * kTileWords, 64);
          _tile_loadd(5, a1 + (kt * 3 + p) * kTileWords, 64);
          LOWBIT_DP4();
        }
      }
      float* c = C + mb * ldc + nb;
      if (rows == 32 && nb + 32 <= N) {
        _tile_stored(0, c, ldc * 4);
        _tile_stored(1, c + 16, ldc * 4);
        _tile_stored(2, c + 16 * ldc, ldc * 4);
        _tile_stored(3, c + 16 * ldc + 16, ldc * 4);
      } else {
        store_c(scratch);
        const int64_t cols = std::min<int64_t>(32, N - nb);
        for (int64_t r = 0; r < rows; ++r) std::memcpy(c + r * ldc, scratch + r * 32, size_t(cols) * sizeof(float));
      }
    }
  }
  _tile_release();
}

// C[n][m] += sum_k A[m][k] * (Bf[k][n] * ks[k]) for n in [n0, n1) (n1 <= N),
// m < M: A packed by pack_at_int8 (M rows, K columns), Bf f32 [K, N] (stride
// ldb), C stride ldc (C is the transpose of the product).
void gemm_tiles_a_f32b_acc_t(const uint16_t* A, int64_t M, int64_t K, const float* Bf, int64_t ldb, const float* ks,
                             int64_t n0, int64_t n1, float* C, int64_t ldc) {
  const int64_t nkt = k_tiles(K), Mp = pad32(M);
  thread_local std::vector<uint16_t> panel;  // [2 column tiles][nkt][3 parts] tiles
  panel.resize(size_t(2 * nkt * 3 * kTileWords));
  alignas(64) float scratch[32 * 32];
  configure_tiles();
  for (int64_t nb = n0; nb < n1; nb += 32) {
    const int64_t cols = std::min<int64_t>(32, n1 - nb);
    for (int64_t ct = 0; ct < 2; ++ct) {
      const __mmask16 live = lanes_below(cols - ct * 16);
      for (int64_t kt = 0; kt < nkt; ++kt) {
        uint16_t* tiles = panel.data() + (ct * nkt + kt) * 3 * kTileWords;
        for (int64_t r = 0; r < 16; ++r) {
          const int64_t k = kt * 32 + 2 * r;
          __m512 e = _mm512_setzero_ps(), o = _mm512_setzero_ps();
          if (k < K) e = _mm512_mul_ps(_mm512_maskz_loadu_ps(live, Bf + k * ldb + nb + ct * 16), _mm512_set1_ps(ks[k]));
          if (k + 1 < K)
            o = _mm512_mul_ps(_mm512_maskz_loadu_ps(live, Bf + (k + 1) * ldb + nb + ct * 16),
                              _mm512_set1_ps(ks[k + 1]));
          __m512i pe[3], po[3];
          split3(e, pe);
          split3(o, po);
          for (int p = 0; p < 3; ++p) _mm512_storeu_si512(tiles + p * kTileWords + r * 32, pair_words(pe[p], po[p]));
        }
      }
    }
    const uint16_t* b0 = panel.data();
    const uint16_t* b1 = b0 + nkt * 3 * kTileWords;
    for (int64_t mb = 0; mb < Mp; mb += 32) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      const uint16_t* a0 = A + (mb / 16) * nkt * kTileWords;
      const uint16_t* a1 = a0 + nkt * kTileWords;
      for (int64_t kt = 0; kt < nkt; ++kt) {
        _tile_loadd(4, a0 + kt * kTileWords, 64);
        _tile_loadd(5, a1 + kt * kTileWords, 64);
        for (int p = 0; p < 3; ++p) {
          _tile_loadd(6, b0 + (kt * 3 + p) * kTileWords, 64);
          _tile_loadd(7, b1 + (kt * 3 + p) * kTileWords, 64);
          LOWBIT_DP4();
        }
      }
      store_c(scratch);  // scratch[m][n]
      const int64_t rows = std::min<int64_t>(32, M - mb);
      if (rows == 32 && cols == 32) {
        for (int bm = 0; bm < 2; ++bm)
          for (int bn = 0; bn < 2; ++bn) {
            __m512i v[16];
            for (int i = 0; i < 16; ++i) v[i] = _mm512_load_si512(scratch + (bm * 16 + i) * 32 + bn * 16);
            transpose16(v);
            for (int i = 0; i < 16; ++i) {
              float* dst = C + (nb + bn * 16 + i) * ldc + mb + bm * 16;
              _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), _mm512_castsi512_ps(v[i])));
            }
          }
      } else {
        for (int64_t n = 0; n < cols; ++n)
          for (int64_t m = 0; m < rows; ++m) C[(nb + n) * ldc + mb + m] += scratch[m * 32 + n];
      }
    }
  }
  _tile_release();
}

}  // namespace lowbit::amx

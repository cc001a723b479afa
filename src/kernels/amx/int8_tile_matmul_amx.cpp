// acc = x . w^T in int8 x int8 -> int32 on AMX tiles (tdpbssd), exact
// (kernels/int8_tile_matmul.hpp). A operand tiles are 16 rows of x x 64
// codes, read in place; B operand tiles are 16 rows of k quads x 16 output
// columns x 4 codes, packed once per weight matrix.
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
constexpr int64_t kTileBytes = 1024;
}

// w [out, in] int8 -> B tiles [out/16][in_pad/64] (out padded to 32 rows
// of zeros): tile row r, column n holds w[o0 + n][64 kt + 4 r .. + 3].
void pack_b_int8_quads(const int8_t* w, int64_t out, int64_t in, int64_t in_pad, int64_t nt0, int64_t nt1,
                       int8_t* tiles) {
  const int64_t nkt = in_pad / 64;
  for (int64_t nt = nt0; nt < nt1; ++nt)
    for (int64_t kt = 0; kt < nkt; ++kt) {
      const int64_t k0 = kt * 64, live = std::clamp<int64_t>(in - k0, 0, 64);
      const __mmask64 mask = live == 64 ? ~__mmask64(0) : (__mmask64(1) << live) - 1;
      __m512i v[16];  // v[n]: row o0 + n's 16 quads
      for (int64_t n = 0; n < 16; ++n) {
        const int64_t o = nt * 16 + n;
        v[n] = o < out ? _mm512_maskz_loadu_epi8(mask, w + o * in + k0) : _mm512_setzero_si512();
      }
      transpose16(v);
      int8_t* tile = tiles + (nt * nkt + kt) * kTileBytes;
      for (int r = 0; r < 16; ++r) _mm512_storeu_si512(tile + r * 64, v[r]);
    }
}

// acc[t][o] for t in [m0, m1): x rows of stride ldx, zero from in to in_pad.
// With x_step: y[t][o] = float(double(acc) * x_step[t] * w_step) instead
// (quant/int_matmul.hpp's scale_int32_sums, the same double products).
void int8_tiles_i32(const int8_t* B, int64_t out, int64_t in_pad, const int8_t* x, int64_t ldx, int64_t m0, int64_t m1,
                    int32_t* acc, const double* x_step, double w_step, float* y) {
  const int64_t nkt = in_pad / 64, out_pad = (out + 31) / 32 * 32;
  thread_local std::vector<int8_t> tail;  // the last rows, when fewer than 32
  alignas(64) int32_t scratch[32 * 32];
  configure_tiles();
  for (int64_t mb = m0; mb < m1; mb += 32) {
    const int64_t rows = std::min<int64_t>(32, m1 - mb);
    const int8_t* a = x + mb * ldx;
    int64_t lda = ldx;
    if (rows < 32) {
      tail.assign(size_t(32 * in_pad), 0);
      for (int64_t r = 0; r < rows; ++r) std::memcpy(tail.data() + r * in_pad, a + r * ldx, size_t(in_pad));
      a = tail.data(), lda = in_pad;
    }
    for (int64_t nb = 0; nb < out_pad; nb += 32) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      const int8_t* b0 = B + (nb / 16) * nkt * kTileBytes;
      const int8_t* b1 = b0 + nkt * kTileBytes;
      for (int64_t kt = 0; kt < nkt; ++kt) {
        _tile_loadd(4, a + kt * 64, lda);
        _tile_loadd(5, a + 16 * lda + kt * 64, lda);
        _tile_loadd(6, b0 + kt * kTileBytes, 64);
        _tile_loadd(7, b1 + kt * kTileBytes, 64);
        _tile_dpbssd(0, 4, 6);
        _tile_dpbssd(1, 4, 7);
        _tile_dpbssd(2, 5, 6);
        _tile_dpbssd(3, 5, 7);
      }
      const int64_t cols = std::min<int64_t>(32, out - nb);
      if (!x_step && rows == 32 && cols == 32) {
        int32_t* c = acc + mb * out + nb;
        _tile_stored(0, c, out * 4);
        _tile_stored(1, c + 16, out * 4);
        _tile_stored(2, c + 16 * out, out * 4);
        _tile_stored(3, c + 16 * out + 16, out * 4);
        continue;
      }
      _tile_stored(0, scratch, 128);
      _tile_stored(1, scratch + 16, 128);
      _tile_stored(2, scratch + 16 * 32, 128);
      _tile_stored(3, scratch + 16 * 32 + 16, 128);
      if (!x_step) {
        for (int64_t r = 0; r < rows; ++r) std::memcpy(acc + (mb + r) * out + nb, scratch + r * 32, size_t(cols) * 4);
        continue;
      }
      const __m512d ws = _mm512_set1_pd(w_step);
      for (int64_t r = 0; r < rows; ++r) {
        const __m512d xs = _mm512_set1_pd(x_step[mb + r]);
        float* yr = y + (mb + r) * out + nb;
        for (int64_t j = 0; j < cols; j += 8) {
          const __mmask8 live = cols - j >= 8 ? __mmask8(0xFF) : __mmask8((1u << (cols - j)) - 1);
          const __m512d v =
              _mm512_cvtepi32_pd(_mm256_load_si256(reinterpret_cast<const __m256i*>(scratch + r * 32 + j)));
          _mm256_mask_storeu_ps(yr + j, live, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_mul_pd(v, xs), ws)));
        }
      }
    }
  }
  _tile_release();
}

}  // namespace lowbit::amx

// AVX-512 head GEMV for Q6_K rows with f32 activations
// (kernels/qhead_matmul.hpp): the AVX2 kernel's scheme at 16 lanes, where a
// Q6_K scale group (16 elements) is exactly one vector. Q8_0 and Q4_0 (int8
// activations) run the AVX2 kernels: one 32-weight block is one 256-bit
// vector, and those kernels stream at the read bandwidth.
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstdint>
#include <cstring>

#include "formats/kquant_formats.hpp"
#include "kernels/qhead_matmul.hpp"
#include "kernels/qhead_rows.hpp"

namespace lowbit::avx2 {
void q8_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy);
void q4_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy);
}  // namespace lowbit::avx2

namespace lowbit::avx512 {

namespace {

float load_fp16(const uint8_t* p) { return _cvtsh_ss(detail::fp16_bits_at(p)); }

// 16 signed bytes as 16 f32.
__m512 widen16(__m128i v) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)); }

// The layout of the AVX2 kernel's q6_k_block; group g of the block (16
// elements, scale d * sc[g]) is one vector.
void q6_k_block(const uint8_t* blk, const float* xb, __m512& acc_out) {
  const __m512 ds = _mm512_mul_ps(_mm512_set1_ps(load_fp16(blk + 208)),
                                  widen16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192))));
  alignas(64) float dsa[16];
  _mm512_store_ps(dsa, ds);
  const __m256i m4 = _mm256_set1_epi8(0x0F), off = _mm256_set1_epi8(32);
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = blk + 64 * half;
    const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
    const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * half));
    const __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4)),
        _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, _mm256_set1_epi8(0x30))),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                        _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(char(0xC0))), 2)),
    };
    const float* xh = xb + 128 * half;
    for (int i = 0; i < 4; ++i) {
      const __m256i v = _mm256_sub_epi8(q[i], off);
      const float* xi = xh + 32 * i;
      const __m512 g0 = _mm512_mul_ps(widen16(_mm256_castsi256_si128(v)), _mm512_loadu_ps(xi));
      const __m512 g1 = _mm512_mul_ps(widen16(_mm256_extracti128_si256(v, 1)), _mm512_loadu_ps(xi + 16));
      const int g = 8 * half + 2 * i;
      acc[0] = _mm512_fmadd_ps(_mm512_set1_ps(dsa[g]), g0, acc[0]);
      acc[1] = _mm512_fmadd_ps(_mm512_set1_ps(dsa[g + 1]), g1, acc[1]);
    }
  }
  acc_out = _mm512_add_ps(acc_out, _mm512_add_ps(acc[0], acc[1]));
}

void q6_k_rows(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T,
               float* y, int64_t ldy) {
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const float* xt = x + t * cols;
    return detail::blocks_dot<kQ6KBlockBytes>(
        row, cols / kQ6KBlock, _mm512_setzero_ps(),
        [&](const uint8_t* blk, int64_t b, __m512& acc) { q6_k_block(blk, xt + b * kQ6KBlock, acc); },
        [](const __m512(&acc)[4]) {
          return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
        });
  });
}

}  // namespace

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{avx2::q8_0_rows_a8, q6_k_rows, avx2::q4_0_rows_a8};

}  // namespace lowbit::avx512

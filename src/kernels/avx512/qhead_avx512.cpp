// The AVX-512 head GEMV table (kernels/qhead_matmul.hpp): Q6_K rows with
// Q8_K activations at 64 codes per register (below); Q8_0 and Q4_0 run the
// AVX2 kernels (one 32-weight block, or a pair's nibbles, is one 256-bit
// vector, and those kernels stream at the read bandwidth).
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstdint>

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

// vpermw indices: register p (0: elements 0..63, 1: 64..127) of half h
// holds scale groups 8h + 4p .. 8h + 4p + 3, one per 128-bit lane; word j
// takes scale 8h + 4p + j / 8 of the block's 16 (as int16).
alignas(64) constexpr int16_t kScaleIdx[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13,
     14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15},
};

// The AVX2 kernel's q6_k_block (avx2/qhead_avx2.cpp) at 64 codes per
// register: a half's 64 ql bytes are one register whose low nibbles are
// elements 0..63 and high nibbles 64..127; its 32 qh bytes, in both halves
// of a register, shifted per 256-bit half by a variable shift, give their
// top two bits (vpternlog merges the nibble and the bits); vpdpwssd applies
// the group scales and accumulates.
__m512i q6_k_block(const uint8_t* blk, const int8_t* xb, const int16_t* gs) {
  const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
  const __m256i off = _mm256_madd_epi16(sc16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(gs)));
  const __m512i sc = _mm512_zextsi256_si512(sc16);
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  // Elements 0..31 take qh bits 0-1 (<< 4), 32..63 bits 2-3 (<< 2); 64..95
  // bits 4-5 (as they are), 96..127 bits 6-7 (>> 2).
  const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  __m512i acc = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5)));
  for (int half = 0; half < 2; ++half) {
    const __m512i l = _mm512_loadu_si512(blk + 64 * half);
    const __m512i h =
        _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * half)));
    // (a & b) | c: the nibble under the mask, then the two bits.
    const __m512i q0 = _mm512_ternarylogic_epi32(l, m4, _mm512_and_si512(_mm512_sllv_epi16(h, shl), m30), 0xEA);
    const __m512i q1 =
        _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), m4, _mm512_and_si512(_mm512_srlv_epi16(h, shr), m30), 0xEA);
    const int8_t* xh = xb + 128 * half;
    const __m512i p0 = _mm512_maddubs_epi16(q0, _mm512_loadu_si512(xh));
    const __m512i p1 = _mm512_maddubs_epi16(q1, _mm512_loadu_si512(xh + 64));
    acc = _mm512_dpwssd_epi32(acc, p0, _mm512_permutexvar_epi16(_mm512_load_si512(kScaleIdx[2 * half]), sc));
    acc = _mm512_dpwssd_epi32(acc, p1, _mm512_permutexvar_epi16(_mm512_load_si512(kScaleIdx[2 * half + 1]), sc));
  }
  return acc;
}

void q6_k_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  const int64_t nb = cols / kQ6KBlock;
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const int8_t* xt = x.codes(t);
    const int16_t* gs = x.group_sums(t);
    const float* xd = x.d.data() + t * nb;
    return detail::blocks_dot<kQ6KBlockBytes>(
        row, nb, _mm512_setzero_ps(),
        [&](const uint8_t* blk, int64_t b, __m512& acc) {
          const __m512i s = q6_k_block(blk, xt + b * kQ6KBlock, gs + 16 * b);
          acc = _mm512_fmadd_ps(_mm512_set1_ps(_cvtsh_ss(detail::fp16_bits_at(blk + 208)) * xd[b]),
                                _mm512_cvtepi32_ps(s), acc);
        },
        [](const __m512(&acc)[4]) {
          return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
        });
  });
}

}  // namespace

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{avx2::q8_0_rows_a8, q6_k_rows_a8, avx2::q4_0_rows_a8};

}  // namespace lowbit::avx512

// AVX2 + FMA + F16C head GEMVs (kernels/qhead_matmul.hpp): Q8_0 rows with
// Q8_0 activations (the sign trick of ggml: |w| times x with w's sign,
// vpmaddubsw then vpmaddwd), Q4_0 rows two blocks per step (below), Q6_K
// rows with Q8_K activations (unsigned codes by vpmaddubsw, the scales by
// vpmaddwd, int32 over the 256-element block). Rows one at a time
// (kernels/qhead_rows.hpp). The AVX-512 table runs the Q8_0/Q4_0 ones too.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "formats/kquant_formats.hpp"
#include "kernels/qhead_matmul.hpp"
#include "kernels/qhead_rows.hpp"

namespace lowbit::avx2 {

namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float load_fp16(const uint8_t* p) { return _cvtsh_ss(detail::fp16_bits_at(p)); }

float reduce4(const __m256 (&acc)[4]) {
  return hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}

// vpshufb masks: register i of a Q6_K half (elements 32i .. 32i + 31, scale
// groups 2i and 2i + 1) takes, from 8 int16 scales in each 128-bit lane,
// int16 2i broadcast over the low lane and 2i + 1 over the high lane.
alignas(32) constexpr uint8_t kScaleMask[4][32] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13,
     14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

// One 256-element Q6_K block against a Q8_K block (codes xb, group sums
// gs): 8 int32 lanes that sum to sum_g sc_g sum_(i in g) (c_i - 32) x_i.
// Per 128-element half, ql[0..31] holds the low nibbles of elements 0..31
// (low) and 64..95 (high), ql[32..63] those of 32..63 and 96..127, qh[l]
// the top two bits of elements l, l+32, l+64, l+96. The unsigned codes c
// (0..63) times x (|x| <= 127) is vpmaddubsw's operand order, and its pair
// sums (<= 2 * 63 * 127) cannot saturate; vpmaddwd with the group's scale
// then gives int32. The -32 comes off once per block as 32 sum_g sc_g gs_g.
__m256i q6_k_block(const uint8_t* blk, const int8_t* xb, const int16_t* gs) {
  // The 16 scales as int16: sc[0..7] in the low lane, sc[8..15] in the high one.
  const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192)));
  const __m256i off = _mm256_madd_epi16(sc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(gs)));
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i acc = _mm256_setzero_si256();
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = blk + 64 * half;
    const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
    const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * half));
    // Each mask keeps the two bits before the shift, so no bit crosses a byte.
    const __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4)),
        _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, _mm256_set1_epi8(0x30))),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                        _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(char(0xC0))), 2)),
    };
    // The half's 8 scales in both lanes.
    const __m256i s16 = half ? _mm256_permute2x128_si256(sc, sc, 0x11) : _mm256_permute2x128_si256(sc, sc, 0x00);
    const int8_t* xh = xb + 128 * half;
    for (int i = 0; i < 4; ++i) {
      const __m256i p = _mm256_maddubs_epi16(q[i], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xh + 32 * i)));
      const __m256i s = _mm256_shuffle_epi8(s16, _mm256_load_si256(reinterpret_cast<const __m256i*>(kScaleMask[i])));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
    }
  }
  return _mm256_sub_epi32(acc, _mm256_slli_epi32(off, 5));
}

}  // namespace

void q6_k_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  const int64_t nb = cols / kQ6KBlock;
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const int8_t* xt = x.codes(t);
    const int16_t* gs = x.group_sums(t);
    const float* xd = x.d.data() + t * nb;
    return detail::blocks_dot<kQ6KBlockBytes>(
        row, nb, _mm256_setzero_ps(),
        [&](const uint8_t* blk, int64_t b, __m256& acc) {
          const __m256i s = q6_k_block(blk, xt + b * kQ6KBlock, gs + 16 * b);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(load_fp16(blk + 208) * xd[b]), _mm256_cvtepi32_ps(s), acc);
        },
        reduce4);
  });
}

namespace {

// The 8 int32 partial sums of w . x for 32 signed bytes each (|w|, |x| <=
// 127: the int16 pair sums of vpmaddubsw cannot saturate).
__m256i dot_s8(__m256i w, __m256i x) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

}  // namespace

void q8_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  const int64_t nb = cols / 32;
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const int8_t* xt = x.codes(t);
    const float* xd = x.d.data() + t * nb;
    return detail::blocks_dot<kQ8BlockBytes>(
        row, nb, _mm256_setzero_ps(),
        [&](const uint8_t* blk, int64_t b, __m256& acc) {
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt + 32 * b));
          acc = _mm256_fmadd_ps(_mm256_set1_ps(load_fp16(blk) * xd[b]), _mm256_cvtepi32_ps(dot_s8(q, xv)), acc);
        },
        reduce4);
  });
}

namespace {

// 8 blocks' fp16 scales, 18 bytes apart, as 8 f32 (one conversion).
__m256 q4_0_scales8(const uint8_t* g) {
  using detail::fp16_bits_at;
  return _mm256_cvtph_ps(_mm_setr_epi16(short(fp16_bits_at(g)), short(fp16_bits_at(g + 18)),
                                        short(fp16_bits_at(g + 36)), short(fp16_bits_at(g + 54)),
                                        short(fp16_bits_at(g + 72)), short(fp16_bits_at(g + 90)),
                                        short(fp16_bits_at(g + 108)), short(fp16_bits_at(g + 126))));
}

// One Q4_0 row against token t. Two blocks per step: their 2 x 16 nibble
// bytes in one register, one shift and two masks split them into the
// blocks' low and high nibbles (unsigned 0..15, the -8 is taken off through
// x.ds), which line up with x's codes in the Q4_0 pair order
// (qhead_matmul.hpp); vpmaddubsw + vpmaddwd give 4 int32 lanes per block,
// scaled by d_w d_x of each block (one permute of 8 scales converted at
// once). About 6 vector operations per block instead of 15.
float q4_0_row(const uint8_t* row, int64_t nb, const QHeadActs& x, int64_t t) {
  const int8_t* xt = x.codes(t);
  const float* xd = x.d.data() + t * nb;
  const float* xds = x.ds.data() + t * nb;
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, off = acc0;
  auto pair = [&](const uint8_t* blk, const int8_t* xp, __m256 dd, __m256& acc) {
    const __m256i v =
        _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(blk + 20), reinterpret_cast<const __m128i*>(blk + 2));
    const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
    const __m256i p =
        _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp))),
                         _mm256_maddubs_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + 32))));
    acc = _mm256_fmadd_ps(dd, _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones)), acc);
  };
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8) {
    const uint8_t* g = row + b * kQ4BlockBytes;
    detail::prefetch_ahead<8 * kQ4BlockBytes>(g);
    const __m256 dw = q4_0_scales8(g);
    off = _mm256_fmadd_ps(dw, _mm256_loadu_ps(xds + b), off);
    const __m256 dd = _mm256_mul_ps(dw, _mm256_loadu_ps(xd + b));
    for (int j = 0; j < 4; ++j) {
      const __m256i idx = _mm256_setr_epi32(2 * j, 2 * j, 2 * j, 2 * j, 2 * j + 1, 2 * j + 1, 2 * j + 1, 2 * j + 1);
      pair(g + 2 * j * kQ4BlockBytes, xt + 32 * (b + 2 * j), _mm256_permutevar8x32_ps(dd, idx), j & 1 ? acc1 : acc0);
    }
  }
  float tail = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* blk = row + b * kQ4BlockBytes;
    const float d0 = load_fp16(blk), d1 = load_fp16(blk + kQ4BlockBytes);
    tail -= 8 * (d0 * xds[b] + d1 * xds[b + 1]);
    pair(blk, xt + 32 * b, _mm256_setr_m128(_mm_set1_ps(d0 * xd[b]), _mm_set1_ps(d1 * xd[b + 1])), acc0);
  }
  if (b < nb) {  // an odd last block: codes in natural order
    const uint8_t* blk = row + b * kQ4BlockBytes;
    const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    const __m256i q = _mm256_and_si256(_mm256_setr_m128i(qs, _mm_srli_epi16(qs, 4)), m4);
    const __m256i p = _mm256_maddubs_epi16(q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xt + 32 * b)));
    const float d = load_fp16(blk);
    tail -= 8 * d * xds[b];
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * xd[b]), _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones)), acc1);
  }
  return hsum(_mm256_add_ps(acc0, acc1)) - 8 * hsum(off) + tail;
}

}  // namespace

void q4_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy,
                 [&](const uint8_t* row, int64_t t) { return q4_0_row(row, cols / 32, x, t); });
}

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{q8_0_rows_a8, q6_k_rows_a8, q4_0_rows_a8};

}  // namespace lowbit::avx2

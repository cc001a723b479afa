// AVX2 + FMA + F16C head GEMVs (kernels/qhead_matmul.hpp): Q8_0 and Q4_0
// rows with Q8_0 activations (the sign trick of ggml: |w| times x with w's
// sign, vpmaddubsw then vpmaddwd, 32 weights in four instructions), Q6_K
// with f32 activations (codes widened to f32 in registers, one FMA per
// 16-element scale group). Rows one at a time, so each thread reads one
// sequential stream (as the f16 head); a second token re-reads the row
// from L1. The AVX-512 table runs the Q8_0/Q4_0 ones too.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "formats/kquant_formats.hpp"
#include "kernels/qhead_matmul.hpp"

namespace lowbit::avx2 {

namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float load_fp16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// The low 8 bytes of v as 8 f32.
__m256 widen8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

// The dot products of one row with T tokens: block_dot(block, x) returns
// the block's unscaled 8-lane partial sums, scale(block) its scale. Four
// accumulators so the scaling FMAs of consecutive blocks do not wait on
// each other.
template <int64_t kElems, int64_t kBytes, class Dot>
void rows_blocks(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T,
                 float* y, int64_t ldy, Dot block_dot) {
  const int64_t nb = cols / kElems;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols;
      __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
      for (int64_t b = 0; b < nb; ++b) block_dot(row + b * kBytes, xt + b * kElems, acc[b & 3]);
      y[t * ldy + r] = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    }
  }
}

// One 256-element block: per 128-element half, ql[0..31] holds the low
// nibbles of elements 0..31 (low) and 64..95 (high), ql[32..63] those of
// 32..63 and 96..127, qh[l] the top two bits of elements l, l+32, l+64,
// l+96; each 16 elements share the scale d * sc[g].
void q6_k_block(const uint8_t* blk, const float* xb, __m256& acc_out) {
  alignas(32) float ds[16];
  const float d = load_fp16(blk + 208);
  const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
  const __m256 dv = _mm256_set1_ps(d);
  _mm256_store_ps(ds, _mm256_mul_ps(dv, widen8(sc)));
  _mm256_store_ps(ds + 8, _mm256_mul_ps(dv, widen8(_mm_srli_si128(sc, 8))));
  const __m256i m4 = _mm256_set1_epi8(0x0F), off = _mm256_set1_epi8(32);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
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
    const float* xh = xb + 128 * half;
    for (int i = 0; i < 4; ++i) {
      const __m256i v = _mm256_sub_epi8(q[i], off);  // elements 32 i .. 32 i + 31 of the half
      const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
      const float* xi = xh + 32 * i;
      const __m256 g0 = _mm256_fmadd_ps(widen8(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(xi + 8),
                                        _mm256_mul_ps(widen8(lo), _mm256_loadu_ps(xi)));
      const __m256 g1 = _mm256_fmadd_ps(widen8(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(xi + 24),
                                        _mm256_mul_ps(widen8(hi), _mm256_loadu_ps(xi + 16)));
      const int g = 8 * half + 2 * i;
      acc[0] = _mm256_fmadd_ps(_mm256_broadcast_ss(ds + g), g0, acc[0]);
      acc[1] = _mm256_fmadd_ps(_mm256_broadcast_ss(ds + g + 1), g1, acc[1]);
    }
  }
  acc_out = _mm256_add_ps(acc_out, _mm256_add_ps(acc[0], acc[1]));
}

void q6_k_rows(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T,
               float* y, int64_t ldy) {
  rows_blocks<kQ6KBlock, kQ6KBlockBytes>(w, row_bytes, r0, r1, cols, x, T, y, ldy, q6_k_block);
}

// The 8 int32 partial sums of w . x for 32 signed bytes each (|w|, |x| <=
// 127: the int16 pair sums of vpmaddubsw cannot saturate).
__m256i dot_s8(__m256i w, __m256i x) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Rows against Q8_0 activations: codes(block) gives a block's 32 weight
// codes as signed bytes; two accumulators for consecutive blocks.
template <int64_t kBytes, class Codes>
void rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const uint8_t* xq, int64_t T,
             float* y, int64_t ldy, Codes codes) {
  const int64_t nb = cols / 32;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < T; ++t) {
      const uint8_t* xt = xq + t * nb * kQ8BlockBytes;
      __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * kBytes;
        const uint8_t* xb = xt + b * kQ8BlockBytes;
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb + 2));
        const __m256 d = _mm256_set1_ps(load_fp16(blk) * load_fp16(xb));
        acc[b & 1] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_s8(codes(blk), x)), acc[b & 1]);
      }
      y[t * ldy + r] = hsum(_mm256_add_ps(acc[0], acc[1]));
    }
  }
}

}  // namespace

void q8_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const uint8_t* xq,
                  int64_t T, float* y, int64_t ldy) {
  rows_a8<kQ8BlockBytes>(w, row_bytes, r0, r1, cols, xq, T, y, ldy, [](const uint8_t* blk) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
  });
}

void q4_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const uint8_t* xq,
                  int64_t T, float* y, int64_t ldy) {
  rows_a8<kQ4BlockBytes>(w, row_bytes, r0, r1, cols, xq, T, y, ldy, [](const uint8_t* blk) {
    const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    // elements 0..15 the low nibbles, 16..31 the high ones; codes - 8
    const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(qs, 4), m4), _mm_and_si128(qs, m4));
    return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
  });
}

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{q8_0_rows_a8, q6_k_rows, q4_0_rows_a8};

}  // namespace lowbit::avx2

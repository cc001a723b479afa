// AVX-VNNI ternary kernels: AVX2 registers with the VEX-encoded vpdpbusd
// (u8 x s8, four products summed into an int32 lane, no saturation), for
// CPUs that have it without AVX-512 (Alder Lake and later client cores).
// One vpdpbusd replaces AVX2's vpmaddubsw + int16 span + vpmaddwd, so no
// int16 spans are needed. Codes are decoded as in the AVX2 decode tile: one
// 16-bit shift by 4, then masks 0x03 and 0x0C on b and b >> 4 give the four
// column groups' codes, two of them times 4; the x1 and x4 products go to two
// int32 accumulators per row (sum = acc1 + acc4 / 4, exact: acc4 is a sum of
// multiples of 4; a lane gains at most 2 * 4 * 8 * 128 per chunk: far from
// 2^31 for kTernaryMaxIn columns).
// The quantizer, FWHT and f32 helpers are AVX2's. Integer results equal the
// scalar reference exactly.
#include <immintrin.h>

#include "kernels/avx2/act_quant_avx2.hpp"
#include "kernels/avx2/fwht_avx2.hpp"
#include "kernels/avx2/vec_f32_avx2.hpp"
#include "kernels/dispatch.hpp"

namespace lowbit {

namespace {

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// The sum of a row's two accumulators: acc1 + acc4 / 4.
inline int32_t row_sum(__m256i acc1, __m256i acc4) {
  return hsum_i32(_mm256_add_epi32(acc1, _mm256_srai_epi32(acc4, 2)));
}

// Adds one row's 32-byte chunk b times the chunk's activations x0..x3 to
// its accumulators (bits 1:0 -> x3, 5:4 -> x1 at x1; 3:2 -> x2, 7:6 -> x0 at x4).
inline void chunk_dot(__m256i b, const __m256i x[4], __m256i& acc1, __m256i& acc4) {
  const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C);
  const __m256i b4 = _mm256_srli_epi16(b, 4);
  acc1 = _mm256_dpbusd_avx_epi32(acc1, _mm256_and_si256(b, m03), x[3]);
  acc1 = _mm256_dpbusd_avx_epi32(acc1, _mm256_and_si256(b4, m03), x[1]);
  acc4 = _mm256_dpbusd_avx_epi32(acc4, _mm256_and_si256(b, m0c), x[2]);
  acc4 = _mm256_dpbusd_avx_epi32(acc4, _mm256_and_si256(b4, m0c), x[0]);
}

// Decode: the 4 rows of a tile per chunk in one pass over the tile's stream
// (8 accumulators), prefetching 24 chunks (3 KiB) ahead.
void tile_one_token(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int32_t* raw) {
  __m256i acc1[4], acc4[4];
  for (int r = 0; r < 4; ++r) acc1[r] = acc4[r] = _mm256_setzero_si256();
  const uint8_t* rows[4] = {w.chunk(o0, 0), w.chunk(o0 + 1, 0), w.chunk(o0 + 2, 0), w.chunk(o0 + 3, 0)};
  const int64_t cs = w.chunk_stride;
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs + 64), _MM_HINT_T0);
    const int8_t* x = xq + 128 * k;
    const __m256i xv[4] = {load256(x), load256(x + 32), load256(x + 64), load256(x + 96)};
    for (int r = 0; r < 4; ++r) chunk_dot(load256(rows[r] + k * cs), xv, acc1[r], acc4[r]);
  }
  for (int r = 0; r < 4; ++r) raw[r] = row_sum(acc1[r], acc4[r]);
}

// Prefill: one row's codes decoded once per chunk serve 4 tokens.
void row_four_tokens(const TernaryWeightsView& w, int64_t o, const int8_t* xq, int64_t x_stride, int32_t* raw,
                     int64_t raw_stride) {
  const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C);
  __m256i acc1[4], acc4[4];
  for (int t = 0; t < 4; ++t) acc1[t] = acc4[t] = _mm256_setzero_si256();
  const uint8_t* row = w.chunk(o, 0);
  const int64_t cs = w.chunk_stride;
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    const __m256i b = load256(row + k * cs), b4 = _mm256_srli_epi16(b, 4);
    const __m256i c3 = _mm256_and_si256(b, m03), c1 = _mm256_and_si256(b4, m03);
    const __m256i c2 = _mm256_and_si256(b, m0c), c0 = _mm256_and_si256(b4, m0c);
    for (int t = 0; t < 4; ++t) {
      const int8_t* x = xq + t * x_stride + 128 * k;
      acc1[t] = _mm256_dpbusd_avx_epi32(acc1[t], c3, load256(x + 96));
      acc1[t] = _mm256_dpbusd_avx_epi32(acc1[t], c1, load256(x + 32));
      acc4[t] = _mm256_dpbusd_avx_epi32(acc4[t], c2, load256(x + 64));
      acc4[t] = _mm256_dpbusd_avx_epi32(acc4[t], c0, load256(x));
    }
  }
  for (int t = 0; t < 4; ++t) raw[t * raw_stride] = row_sum(acc1[t], acc4[t]);
}

void dot_codes_avxvnni(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                       int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4)
      for (int i = 0; i < 4; ++i)
        row_four_tokens(w, o + i, xq + t * x_stride, x_stride, r + t * raw_stride + i, raw_stride);
    for (; t < nt; ++t) tile_one_token(w, o, xq + t * x_stride, r + t * raw_stride);
  }
}

const TernaryKernels kAvxVnni{Isa::kAvxVnni,   quantize_act_avx2, dot_codes_avxvnni,
                              fwht_block_avx2, dot_f32_avx2,      axpy_f32_avx2};

}  // namespace

const TernaryKernels* avxvnni_kernels() { return &kAvxVnni; }

}  // namespace lowbit

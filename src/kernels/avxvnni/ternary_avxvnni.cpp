// AVX-VNNI ternary kernels: AVX2 registers with the VEX-encoded vpdpbusd
// (u8 x s8, four products summed into an int32 lane, no saturation), for
// CPUs that have it without AVX-512 (Alder Lake and later client cores).
// Prefill: one vpdpbusd replaces AVX2's vpmaddubsw + int16 span + vpmaddwd,
// so no int16 spans are needed. Codes are decoded as in the AVX2 decode
// tile: one 16-bit shift by 4, then masks 0x03 and 0x0C on b and b >> 4 give
// the four column groups' codes, two of them times 4; the x1 and x4 products
// go to two int32 accumulators per token (sum = acc1 + acc4 / 4, exact: acc4 is a sum of
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

// Decode (tokens left over from blocks of 4) runs the AVX2 tile. A VNNI
// decode tile (the same decode, vpdpbusd into per-row int32 sums: 9-12
// operations per 32 bytes against AVX2's 14) ran 1.25-1.35x the AVX2 tile
// in L2 and L3 but 15-20% slower per pass from DRAM, in every variant tried
// (two accumulators per row, one, chunk sums in fresh registers), and decode
// reads its weights from DRAM. Measured on a Xeon with AVX-512 forced to
// avxvnni; docs/PERFORMANCE.md.
void dot_codes_avxvnni(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                       int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  const int64_t nt4 = nt / 4 * 4;
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    for (int64_t t = 0; t < nt4; t += 4)
      for (int i = 0; i < 4; ++i)
        row_four_tokens(w, o + i, xq + t * x_stride, x_stride, r + t * raw_stride + i, raw_stride);
  }
  if (nt4 < nt)
    avx2_kernels()->dot_codes(w, row_begin, row_end, xq + nt4 * x_stride, x_stride, nt - nt4, raw + nt4 * raw_stride,
                              raw_stride);
}

const TernaryKernels kAvxVnni{Isa::kAvxVnni,   quantize_act_avx2, dot_codes_avxvnni,
                              fwht_block_avx2, dot_f32_avx2,      axpy_f32_avx2};

}  // namespace

const TernaryKernels* avxvnni_kernels() { return &kAvxVnni; }

}  // namespace lowbit

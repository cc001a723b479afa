// AVX2 table-lookup ternary kernel (kernels/ternary_lut.hpp): per step one
// ymm of 4-bit indices covers 16 rows x 2 groups (one group per 128-bit
// lane, so each lane's vpshufb reads that group's table), low and high
// nibble tables each looked up with one vpshufb. Lookups add up in int8 for
// 2 quads (|L| <= 4 * 30, |H| <= 4 * 16), are widened to int16 (the two
// lanes hold the same rows, so they are added), and reach int32 every 8
// quads pairs (|partial| <= 128 columns * 128 < 2^15). Exact.
#include <immintrin.h>

#include <algorithm>

#include "kernels/ternary_lut.hpp"

namespace lowbit {

namespace {

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline __m256i widen_lanes(__m256i v) {  // int8 lanes 0 + 1 -> 16 int16
  return _mm256_add_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)),
                          _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)));
}

void dot_blocks_avx2(const PackedTernaryLut& w, int64_t b0, int64_t b1, const int8_t* tables, int32_t* raw) {
  const __m256i nib = _mm256_set1_epi8(0x0F);
  const int64_t nq = w.n_quads();
  constexpr int64_t kSpan = 16;  // quads per int16 span: 128 columns
  for (int64_t b = b0; b < b1; ++b) {
    __m256i acc_a = _mm256_setzero_si256(), acc_b = acc_a;
    const uint8_t* blk = w.block(b, 0);
    for (int64_t q0 = 0; q0 < nq; q0 += kSpan) {
      const int64_t q1 = std::min(nq, q0 + kSpan);
      __m256i s16 = _mm256_setzero_si256();
      for (int64_t q = q0; q < q1; q += 2) {
        __m256i al = _mm256_setzero_si256(), ah = al;
        for (int64_t qq = q; qq < std::min(q + 2, q1); ++qq) {
          const __m256i v = load256(blk + qq * 32);
          const int8_t* t = tables + qq * 128;
          const __m256i ia = _mm256_and_si256(v, nib), ib = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
          al = _mm256_add_epi8(al, _mm256_shuffle_epi8(load256(t), ia));
          ah = _mm256_add_epi8(ah, _mm256_shuffle_epi8(load256(t + 32), ia));
          al = _mm256_add_epi8(al, _mm256_shuffle_epi8(load256(t + 64), ib));
          ah = _mm256_add_epi8(ah, _mm256_shuffle_epi8(load256(t + 96), ib));
        }
        s16 = _mm256_add_epi16(s16, _mm256_add_epi16(_mm256_slli_epi16(widen_lanes(ah), 4), widen_lanes(al)));
      }
      acc_a = _mm256_add_epi32(acc_a, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(s16)));
      acc_b = _mm256_add_epi32(acc_b, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(s16, 1)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(raw + (b - b0) * 16), acc_a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(raw + (b - b0) * 16 + 8), acc_b);
  }
}

const TernaryLutKernels kAvx2Lut{Isa::kAvx2, dot_blocks_avx2};

}  // namespace

const TernaryLutKernels* avx2_ternary_lut_kernels() { return &kAvx2Lut; }

}  // namespace lowbit

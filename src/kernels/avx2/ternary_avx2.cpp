// AVX2 ternary kernels: the x86 baseline. Codes (0..2, unsigned) times int8
// activations with vpmaddubsw (pairs summed to int16: |.| <= 2*2*128, four
// of them still fit int16), widened with vpmaddwd; the caller subtracts
// sum(xq) to turn codes into -1/0/+1. Integer results equal the scalar
// reference exactly.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2/act_quant_avx2.hpp"
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

// NR rows starting at o0 times NB tokens; raw points at (token 0, row o0).
template <int NR, int NB>
void rows_tokens(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int64_t x_stride, int32_t* raw,
                 int64_t raw_stride) {
  const __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
  __m256i acc[NR][NB];
  const uint8_t* rows[NR];
  for (int r = 0; r < NR; ++r) {
    rows[r] = w.chunk(o0 + r, 0);
    for (int t = 0; t < NB; ++t) acc[r][t] = _mm256_setzero_si256();
  }
  const int64_t cs = w.chunk_stride;
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    const int8_t* xk = xq + 128 * k;
    for (int r = 0; r < NR; ++r) {
      const __m256i b = load256(rows[r] + k * cs);
      const __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(b, 6), mask);
      const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
      const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(b, 2), mask);
      const __m256i c3 = _mm256_and_si256(b, mask);
      for (int t = 0; t < NB; ++t) {
        const int8_t* x = xk + t * x_stride;
        const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(c0, load256(x)),
                                             _mm256_maddubs_epi16(c1, load256(x + 32)));
        const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(c2, load256(x + 64)),
                                             _mm256_maddubs_epi16(c3, load256(x + 96)));
        acc[r][t] = _mm256_add_epi32(acc[r][t], _mm256_madd_epi16(_mm256_add_epi16(s01, s23), ones));
      }
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) raw[t * raw_stride + r] = hsum_i32(acc[r][t]);
}

void dot_codes_avx2(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                    int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    int64_t t = 0;
    // Prefill: one decode of a row's codes serves 4 tokens.
    for (; t + 4 <= nt; t += 4) {
      rows_tokens<2, 4>(w, o, xq + t * x_stride, x_stride, r + t * raw_stride, raw_stride);
      rows_tokens<2, 4>(w, o + 2, xq + t * x_stride, x_stride, r + t * raw_stride + 2, raw_stride);
    }
    // Decode: one activation load serves the 4 rows of the tile.
    for (; t < nt; ++t) rows_tokens<4, 1>(w, o, xq + t * x_stride, x_stride, r + t * raw_stride, raw_stride);
  }
}

const TernaryKernels kAvx2{Isa::kAvx2, quantize_act_avx2, dot_codes_avx2};

}  // namespace

// Same arithmetic as quantize_act_scalar, 4 doubles at a time: the quotient
// 127 x / gamma in double, then round half away from zero built from
// truncation (v - trunc(v) is exact), NaN to 0, clamp.
int32_t quantize_act_avx2(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 m = _mm256_setzero_ps();
  int64_t k = 0;
  // max_ps returns its second operand when either is NaN: NaNs are skipped,
  // like fmax in the scalar code.
  for (; k + 8 <= in; k += 8) m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), absmask), m);
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
  float gamma = _mm_cvtss_f32(m4);
  for (; k < in; ++k) gamma = std::fmax(gamma, std::fabs(x[k]));
  *act_scale = gamma / 127.0f;
  if (!(gamma > 0.0f)) {
    for (int64_t j = 0; j < in_pad; ++j) q[j] = 0;
    return 0;
  }
  const __m256d g = _mm256_set1_pd(double(gamma)), c127 = _mm256_set1_pd(127.0), half = _mm256_set1_pd(0.5),
                one = _mm256_set1_pd(1.0), sign = _mm256_set1_pd(-0.0), lo = _mm256_set1_pd(-128.0),
                hi = _mm256_set1_pd(127.0);
  auto quant4 = [&](__m128 xf) {
    const __m256d v = _mm256_div_pd(_mm256_mul_pd(_mm256_cvtps_pd(xf), c127), g);
    __m256d t = _mm256_round_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256d frac = _mm256_andnot_pd(sign, _mm256_sub_pd(v, t));
    const __m256d away = _mm256_or_pd(_mm256_and_pd(v, sign), one);  // copysign(1, v)
    t = _mm256_add_pd(t, _mm256_and_pd(_mm256_cmp_pd(frac, half, _CMP_GE_OQ), away));
    t = _mm256_and_pd(t, _mm256_cmp_pd(v, v, _CMP_ORD_Q));  // NaN -> 0
    t = _mm256_min_pd(_mm256_max_pd(t, lo), hi);
    return _mm256_cvtpd_epi32(t);
  };
  __m128i sum = _mm_setzero_si128();
  auto quant16 = [&](const float* p, int8_t* dst) {
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m128i i0 = quant4(_mm256_castps256_ps128(a)), i1 = quant4(_mm256_extractf128_ps(a, 1));
    const __m128i i2 = quant4(_mm256_castps256_ps128(b)), i3 = quant4(_mm256_extractf128_ps(b, 1));
    sum = _mm_add_epi32(sum, _mm_add_epi32(_mm_add_epi32(i0, i1), _mm_add_epi32(i2, i3)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_packs_epi16(_mm_packs_epi32(i0, i1), _mm_packs_epi32(i2, i3)));
  };
  for (k = 0; k + 16 <= in; k += 16) quant16(x + k, q + k);
  if (k < in) {  // the tail through a zero-padded copy (zeros quantize to 0)
    alignas(32) float tail[16] = {};
    alignas(16) int8_t qt[16];
    for (int64_t j = k; j < in; ++j) tail[j - k] = x[j];
    quant16(tail, qt);
    for (int64_t j = k; j < in; ++j) q[j] = qt[j - k];
  }
  for (int64_t j = in; j < in_pad; ++j) q[j] = 0;
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(sum);
}

const TernaryKernels* avx2_kernels() { return &kAvx2; }

}  // namespace lowbit

// The int8 absmax activation quantizer of training (quant_int8_absmax's
// codes, bit for bit) in AVX-512: the same double products x * (127 /
// gamma) and the same round-half-away steps, eight doubles at a time.
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cmath>
#include <cstdint>

namespace lowbit {

// max |x| over finite x; false if x holds a NaN or an infinity (the caller
// then takes the reference path, which defines those cases).
bool absmax_finite_avx512(const float* x, int64_t n, float* gamma) {
  const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 m = _mm512_setzero_ps();
  __mmask16 bad = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 a = _mm512_and_ps(_mm512_maskz_loadu_ps(live, x + i), absmask);
    bad |= _mm512_cmp_ps_mask(a, inf, _CMP_NLT_UQ);  // NaN or inf
    m = _mm512_max_ps(a, m);
  }
  *gamma = _mm512_reduce_max_ps(m);
  return bad == 0;
}

// q[i] = round_half_away(x[i] * k) for finite x with |x * k| <= 127.5
// (round_half_away of quant/act_quant.hpp: t = trunc(|v| + 0.5), minus one
// where |v| < t - 0.5, with v's sign).
void int8_codes_avx512(const float* x, int64_t n, double k, int8_t* q) {
  const __m512d kv = _mm512_set1_pd(k), half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0);
  const __m512d absmask = _mm512_castsi512_pd(_mm512_set1_epi64(0x7fffffffffffffffLL));
  for (int64_t i = 0; i < n; i += 8) {
    const int64_t w = n - i >= 8 ? 8 : n - i;
    const __mmask8 live = __mmask8((1u << w) - 1);
    const __m512d v = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(live, x + i)), kv);
    const __m512d a = _mm512_and_pd(v, absmask);
    const __m512d t = _mm512_roundscale_pd(_mm512_add_pd(a, half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __mmask8 below = _mm512_cmp_pd_mask(a, _mm512_sub_pd(t, half), _CMP_LT_OQ);
    const __m512d r = _mm512_mask_sub_pd(t, below, t, one);
    const __m512d s = _mm512_or_pd(r, _mm512_andnot_pd(absmask, v));  // copysign(r, v)
    _mm_mask_storeu_epi8(q + i, live, _mm512_cvtsepi64_epi8(_mm512_cvttpd_epi64(s)));
  }
}

}  // namespace lowbit

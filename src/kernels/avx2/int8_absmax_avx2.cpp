// The int8 absmax activation quantizer of training (quant_int8_absmax's
// codes, bit for bit) in AVX2: the same double products x * (127 / gamma)
// and the same round-half-away steps as round_half_away, four doubles at a
// time; the last n % 8 values go through round_half_away itself.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "quant/act_quant.hpp"

namespace lowbit {

// max |x| over finite x; false if x holds a NaN or an infinity (the caller
// then takes the reference path, which defines those cases).
bool absmax_finite_avx2(const float* x, int64_t n, float* gamma) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 inf = _mm256_set1_ps(INFINITY);
  __m256 m = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), absmask);
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));  // NaN or inf
    m = _mm256_max_ps(a, m);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, m);
  float g = 0;
  for (float v : lanes) g = v > g ? v : g;
  bool finite = _mm256_movemask_ps(bad) == 0;
  for (; i < n; ++i) {
    const float a = std::fabs(x[i]);
    finite = finite && std::isfinite(a);
    g = a > g ? a : g;
  }
  *gamma = g;
  return finite;
}

// q[i] = round_half_away(x[i] * k) for finite x with |x * k| <= 127.5.
void int8_codes_avx2(const float* x, int64_t n, double k, int8_t* q) {
  const __m256d kv = _mm256_set1_pd(k), half = _mm256_set1_pd(0.5), one = _mm256_set1_pd(1.0);
  const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i half_codes[2];
    for (int h = 0; h < 2; ++h) {
      const __m256d v = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * h)), kv);
      const __m256d a = _mm256_and_pd(v, absmask);
      const __m256d t = _mm256_round_pd(_mm256_add_pd(a, half), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256d below = _mm256_cmp_pd(a, _mm256_sub_pd(t, half), _CMP_LT_OQ);
      const __m256d r = _mm256_sub_pd(t, _mm256_and_pd(below, one));
      const __m256d s = _mm256_or_pd(r, _mm256_andnot_pd(absmask, v));  // copysign(r, v)
      half_codes[h] = _mm256_cvttpd_epi32(s);                           // 4 x int32 in [-127, 127]
    }
    const __m128i w16 = _mm_packs_epi32(half_codes[0], half_codes[1]);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(w16, w16));
  }
  for (; i < n; ++i) q[i] = int8_t(round_half_away(double(x[i]) * k));
}

}  // namespace lowbit

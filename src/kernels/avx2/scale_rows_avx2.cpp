// scale_int32_row (kernels/scale_rows.hpp) in AVX2: the exact int32 ->
// double conversion, the same two double multiplies in the same order and
// one rounding to float (vcvtpd2ps, round to nearest), four at a time.
#include <immintrin.h>

#include <cstdint>

namespace lowbit {

void scale_int32_row_avx2(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y) {
  const __m256d xs = _mm256_set1_pd(x_step), wa = _mm256_set1_pd(w_all);
  int64_t o = 0;
  for (; o + 4 <= out; o += 4) {
    const __m256d a = _mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + o)));
    const __m256d w = w_step ? _mm256_cvtps_pd(_mm_loadu_ps(w_step + o)) : wa;
    _mm_storeu_ps(y + o, _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_mul_pd(a, xs), w)));
  }
  for (; o < out; ++o) y[o] = float(double(acc[o]) * x_step * (w_step ? double(w_step[o]) : w_all));
}

}  // namespace lowbit

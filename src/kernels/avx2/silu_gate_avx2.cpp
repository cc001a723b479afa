// SiLU gate, 8 lanes (kernels/silu_gate.hpp). e^-x: -x clamped to
// [-87.3, 89] (min/max, no branch; from 88.4 on n = 128 puts the all-ones
// exponent in, e^-x = inf and the gate is -0, as in float arithmetic), n = round(-x log2e), r = -x - n ln2
// with ln2 split in a short high part (n * kLn2Hi exact) and a correction,
// e^r by Cephes' expf polynomial, 2^n put into the exponent bits.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace lowbit::avx2 {

namespace {

inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(89.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline __m256 silu_gate8(__m256 g, __m256 u, __m256 sg, __m256 su) {
  const __m256 x = _mm256_mul_ps(g, sg);
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), _mm256_mul_ps(u, su));
}

}  // namespace

void silu_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out) {
  const __m256 sgv = _mm256_set1_ps(sg), suv = _mm256_set1_ps(su);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, silu_gate8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(u + i), sgv, suv));
  if (i < n) {  // the tail through the same lanes, so every element sees one formula
    alignas(32) float gt[8] = {}, ut[8] = {}, ot[8];
    std::copy(g + i, g + n, gt);
    std::copy(u + i, u + n, ut);
    _mm256_store_ps(ot, silu_gate8(_mm256_load_ps(gt), _mm256_load_ps(ut), sgv, suv));
    std::copy(ot, ot + (n - i), out + i);
  }
}

}  // namespace lowbit::avx2

// AVX2 Walsh-Hadamard block: the three butterfly stages inside a vector of 8
// with shuffles and blends, the others between vectors; the same float
// operations in the same order as fwht_block_scalar, so the same bits.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2/fwht_avx2.hpp"
#include "kernels/scalar/fwht_scalar.hpp"

namespace lowbit {

namespace {
// Lanes j (lower of a pair) get v_j + v_{j+h}; lanes j+h get v_j - v_{j+h}.
template <int kBlendUpper>
inline __m256 in_vector_stage(__m256 v, __m256 partner) {
  return _mm256_blend_ps(_mm256_add_ps(v, partner), _mm256_sub_ps(partner, v), kBlendUpper);
}
}  // namespace

void fwht_block_avx2(float* x, int64_t n) {
  if (n < 8) {
    fwht_block_scalar(x, n);
    return;
  }
  for (int64_t j = 0; j < n; j += 8) {
    __m256 v = _mm256_loadu_ps(x + j);
    v = in_vector_stage<0xAA>(v, _mm256_permute_ps(v, 0xB1));             // h = 1
    v = in_vector_stage<0xCC>(v, _mm256_permute_ps(v, 0x4E));             // h = 2
    v = in_vector_stage<0xF0>(v, _mm256_permute2f128_ps(v, v, 0x01));     // h = 4
    _mm256_storeu_ps(x + j, v);
  }
  for (int64_t h = 8; h < n; h *= 2)
    for (int64_t i = 0; i < n; i += 2 * h)
      for (int64_t j = i; j < i + h; j += 8) {
        const __m256 a = _mm256_loadu_ps(x + j), c = _mm256_loadu_ps(x + j + h);
        _mm256_storeu_ps(x + j, _mm256_add_ps(a, c));
        _mm256_storeu_ps(x + j + h, _mm256_sub_ps(a, c));
      }
  const __m256 norm = _mm256_set1_ps(float(1.0 / std::sqrt(double(n))));
  for (int64_t j = 0; j < n; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), norm));
}

}  // namespace lowbit

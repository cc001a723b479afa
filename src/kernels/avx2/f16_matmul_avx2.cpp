// f16 x f32 GEMV/GEMM rows with F16C conversion and FMA.
#include <immintrin.h>

#include <cstdint>

#include "core/half.hpp"

namespace lowbit::avx2 {

// y[t * ldy] = dot(w row, x_t) for T tokens; 4 rows at a time so each x
// load feeds four accumulators.
void f16_rows(const uint16_t* w, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T, float* y,
              int64_t ldy) {
  const int64_t c8 = cols / 8 * 8;
  auto hsum = [](__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  };
  const int64_t c16 = cols / 16 * 16;
  auto load = [](const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const uint16_t* w0 = w + r * cols;
    const uint16_t* w1 = w0 + cols;
    const uint16_t* w2 = w1 + cols;
    const uint16_t* w3 = w2 + cols;
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols;
      // Two accumulators per row: eight independent FMA chains hide the
      // FMA latency, so the loop runs at the speed of the loads.
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      int64_t i = 0;
      for (; i < c16; i += 16) {
        const __m256 xv = _mm256_loadu_ps(xt + i), xw = _mm256_loadu_ps(xt + i + 8);
        a0 = _mm256_fmadd_ps(load(w0 + i), xv, a0);
        a1 = _mm256_fmadd_ps(load(w1 + i), xv, a1);
        a2 = _mm256_fmadd_ps(load(w2 + i), xv, a2);
        a3 = _mm256_fmadd_ps(load(w3 + i), xv, a3);
        b0 = _mm256_fmadd_ps(load(w0 + i + 8), xw, b0);
        b1 = _mm256_fmadd_ps(load(w1 + i + 8), xw, b1);
        b2 = _mm256_fmadd_ps(load(w2 + i + 8), xw, b2);
        b3 = _mm256_fmadd_ps(load(w3 + i + 8), xw, b3);
      }
      for (; i < c8; i += 8) {
        const __m256 xv = _mm256_loadu_ps(xt + i);
        a0 = _mm256_fmadd_ps(load(w0 + i), xv, a0);
        a1 = _mm256_fmadd_ps(load(w1 + i), xv, a1);
        a2 = _mm256_fmadd_ps(load(w2 + i), xv, a2);
        a3 = _mm256_fmadd_ps(load(w3 + i), xv, a3);
      }
      float s[4] = {hsum(_mm256_add_ps(a0, b0)), hsum(_mm256_add_ps(a1, b1)), hsum(_mm256_add_ps(a2, b2)),
                    hsum(_mm256_add_ps(a3, b3))};
      for (; i < cols; ++i)
        for (int k = 0; k < 4; ++k) s[k] += fp16_to_f32(w0[k * cols + i]) * xt[i];
      for (int k = 0; k < 4; ++k) y[t * ldy + r + k] = s[k];
    }
  }
  for (; r < r1; ++r) {
    const uint16_t* wr = w + r * cols;
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols;
      __m256 a = _mm256_setzero_ps();
      for (int64_t i = 0; i < c8; i += 8)
        a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr + i))),
                            _mm256_loadu_ps(xt + i), a);
      float s = hsum(a);
      for (int64_t i = c8; i < cols; ++i) s += fp16_to_f32(wr[i]) * xt[i];
      y[t * ldy + r] = s;
    }
  }
}

}  // namespace lowbit::avx2

// f16 x f32 GEMV/GEMM rows with F16C conversion and FMA.
#include <immintrin.h>

#include <cstdint>

#include "core/half.hpp"
#include "kernels/two_streams.hpp"

namespace lowbit::avx2 {

// y[t * ldy + r] = dot(w row r, x_t) for T tokens. Rows are done one at a
// time, in two streams (kernels/two_streams.hpp: the first and second half
// of the range alternate), each with a software prefetch 3 KiB ahead; a
// second token re-reads the row from L1. (Four rows side by side, four
// streams a row apart, ran a third slower: the prefetchers want streams
// far apart. Issue 18, AVX2, paired with the read probe: one stream 0.89
// of the probe with or without the prefetch, two streams without it 0.87,
// with it 1.02.)
void f16_rows(const uint16_t* w, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T, float* y,
              int64_t ldy) {
  const int64_t c32 = cols / 32 * 32, c8 = cols / 8 * 8;
  auto hsum = [](__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  };
  auto load = [](const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); };
  detail::for_each_two_streams(r1 - r0, 16, [&](int64_t k) {
    const int64_t r = r0 + k;
    const uint16_t* wr = w + r * cols;
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols;
      // Four independent FMA chains hide the FMA latency.
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      int64_t i = 0;
      for (; i < c32; i += 32) {
        _mm_prefetch(reinterpret_cast<const char*>(wr + i) + 3072, _MM_HINT_T0);  // one line per step
        a0 = _mm256_fmadd_ps(load(wr + i), _mm256_loadu_ps(xt + i), a0);
        a1 = _mm256_fmadd_ps(load(wr + i + 8), _mm256_loadu_ps(xt + i + 8), a1);
        a2 = _mm256_fmadd_ps(load(wr + i + 16), _mm256_loadu_ps(xt + i + 16), a2);
        a3 = _mm256_fmadd_ps(load(wr + i + 24), _mm256_loadu_ps(xt + i + 24), a3);
      }
      for (; i < c8; i += 8) a0 = _mm256_fmadd_ps(load(wr + i), _mm256_loadu_ps(xt + i), a0);
      float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
      for (; i < cols; ++i) s += fp16_to_f32(wr[i]) * xt[i];
      y[t * ldy + r] = s;
    }
  });
}

}  // namespace lowbit::avx2

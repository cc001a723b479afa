#include "kernels/scalar/vec_f32_scalar.hpp"

namespace lowbit {

float dot_f32_scalar(const float* a, const float* b, int64_t n) {
  // Eight partial sums: independent chains the compiler can also vectorize
  // (one serial chain would wait on every add's latency).
  float s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) s[k] += a[i + k] * b[i + k];
  for (; i < n; ++i) s[0] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void axpy_f32_scalar(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace lowbit

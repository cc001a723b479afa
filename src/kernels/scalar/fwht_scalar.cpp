#include "kernels/scalar/fwht_scalar.hpp"

#include <cmath>

namespace lowbit {

// Butterflies of H_2n = [[H, H], [H, -H]]: pairs (j, j + h) in groups of 2h,
// h = 1, 2, 4, ...; then one multiply by 1/sqrt(n) (rounded to f32 once).
void fwht_block_scalar(float* x, int64_t n) {
  for (int64_t h = 1; h < n; h *= 2)
    for (int64_t i = 0; i < n; i += 2 * h)
      for (int64_t j = i; j < i + h; ++j) {
        const float a = x[j], c = x[j + h];
        x[j] = a + c;
        x[j + h] = a - c;
      }
  const float norm = float(1.0 / std::sqrt(double(n)));
  for (int64_t j = 0; j < n; ++j) x[j] *= norm;
}

}  // namespace lowbit

#include "quant/hadamard.hpp"

#include <cmath>
#include <vector>

namespace lowbit {

int64_t hadamard_block(int64_t n) { return n > 0 ? (n & -n) : 1; }

void fwht(float* x, int64_t n) {
  const int64_t bs = hadamard_block(n);
  if (bs <= 1) return;
  const double norm = 1.0 / std::sqrt(double(bs));
  std::vector<double> v(static_cast<size_t>(bs));
  for (int64_t b0 = 0; b0 < n; b0 += bs) {
    for (int64_t i = 0; i < bs; ++i) v[size_t(i)] = x[b0 + i];
    // Butterflies of H_2n = [[H, H], [H, -H]]: pairs (i, i + h) in blocks of 2h.
    for (int64_t h = 1; h < bs; h *= 2)
      for (int64_t i = 0; i < bs; i += 2 * h)
        for (int64_t j = i; j < i + h; ++j) {
          const double a = v[size_t(j)], c = v[size_t(j + h)];
          v[size_t(j)] = a + c;
          v[size_t(j + h)] = a - c;
        }
    for (int64_t i = 0; i < bs; ++i) x[b0 + i] = float(v[size_t(i)] * norm);
  }
}

}  // namespace lowbit

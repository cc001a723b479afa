#include "kernels/fwht.hpp"

namespace lowbit {

void fwht_f32(float* x, int64_t n, const TernaryKernels& k) {
  if (n <= 0) return;
  const int64_t block = n & -n;  // the largest power of two dividing n
  if (block <= 1) return;
  for (int64_t b0 = 0; b0 < n; b0 += block) k.fwht_block(x + b0, block);
}

}  // namespace lowbit

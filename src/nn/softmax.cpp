#include "nn/softmax.hpp"

#include <algorithm>
#include <cmath>

namespace lowbit {

void softmax_inplace(float* x, int64_t n) {
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  if (mx == -INFINITY) {  // every entry masked: define the result as all zeros rather than NaN
    std::fill(x, x + n, 0.0f);
    return;
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += x[j] = std::exp(x[j] - mx);
  const float inv = float(1.0 / sum);
  for (int64_t j = 0; j < n; ++j) x[j] *= inv;
}

void softmax_backward(const float* p, const float* dp, int64_t n, float* ds) {
  double dot = 0;
  for (int64_t j = 0; j < n; ++j) dot += double(p[j]) * dp[j];
  for (int64_t j = 0; j < n; ++j) ds[j] = p[j] * (dp[j] - float(dot));
}

}  // namespace lowbit

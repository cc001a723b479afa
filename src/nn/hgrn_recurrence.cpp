#include "nn/hgrn_recurrence.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/rms_norm.hpp"

namespace lowbit {

namespace {
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
}  // namespace

void hgrn_gates(float* i, float* f, const float* lower_bound, int64_t T, int64_t E) {
  for (int64_t t = 0; t < T; ++t) {
    float *ir = i + t * E, *fr = f + t * E;
    for (int64_t k = 0; k < E; ++k) {
      float g = sigmoid(fr[k]);
      if (lower_bound) g = lower_bound[k] + (1.0f - lower_bound[k]) * g;
      fr[k] = g;
      ir[k] = ir[k] * sigmoid(ir[k]) * (1.0f - g);
    }
  }
}

void hgrn_scan(const float* i, const float* f, int64_t T, int64_t E, float* h, float* o) {
  for (int64_t t = 0; t < T; ++t) {
    const float *ir = i + t * E, *fr = f + t * E;
    float* orow = o + t * E;
    for (int64_t k = 0; k < E; ++k) {
      h[k] = fr[k] * h[k] + ir[k];
      orow[k] = h[k];
    }
  }
}

void swish_gated_rms_norm(const float* x, const float* w, const float* o, int64_t T, int64_t n, float eps, float* y) {
  rms_norm_forward(x, w, T, n, eps, y, nullptr);
  for (int64_t k = 0; k < T * n; ++k) y[k] *= o[k] * sigmoid(o[k]);
}

void swiglu_rows(const float* u, int64_t T, int64_t F, float* out) {
  std::vector<float> row(static_cast<size_t>(F));
  for (int64_t t = 0; t < T; ++t) {
    const float *g = u + t * 2 * F, *up = g + F;
    for (int64_t k = 0; k < F; ++k) row[size_t(k)] = g[k] * sigmoid(g[k]) * up[k];
    std::copy(row.begin(), row.end(), out + t * F);
  }
}

}  // namespace lowbit

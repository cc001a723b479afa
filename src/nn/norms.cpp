#include "nn/norms.hpp"

#include <cmath>

namespace lowbit {

namespace {
struct Moments {
  double mean, rstd;
};
Moments layernorm_moments(const float* x, int64_t n, float eps) {
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= double(n);
  double var = 0;
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= double(n);
  return {mean, 1.0 / std::sqrt(var + eps)};
}
double rms_rstd(const float* x, int64_t n, float eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += double(x[i]) * x[i];
  return 1.0 / std::sqrt(ss / double(n) + eps);
}
}  // namespace

void layernorm_forward(const float* x, int64_t n, float* y, float eps) {
  if (n <= 0) return;
  const Moments m = layernorm_moments(x, n, eps);
  for (int64_t i = 0; i < n; ++i) y[i] = float((x[i] - m.mean) * m.rstd);
}

void layernorm_backward(const float* x, const float* dy, int64_t n, float* dx, float eps) {
  if (n <= 0) return;
  const Moments m = layernorm_moments(x, n, eps);
  double mean_dy = 0, mean_dy_xhat = 0;
  for (int64_t i = 0; i < n; ++i) {
    mean_dy += dy[i];
    mean_dy_xhat += dy[i] * (x[i] - m.mean) * m.rstd;
  }
  mean_dy /= double(n);
  mean_dy_xhat /= double(n);
  for (int64_t i = 0; i < n; ++i)
    dx[i] = float(m.rstd * (dy[i] - mean_dy - (x[i] - m.mean) * m.rstd * mean_dy_xhat));
}

void subln_forward(const float* x, int64_t n, float* y, float eps) {
  if (n <= 0) return;
  const double r = rms_rstd(x, n, eps);
  for (int64_t i = 0; i < n; ++i) y[i] = float(x[i] * r);
}

void subln_backward(const float* x, const float* dy, int64_t n, float* dx, float eps) {
  if (n <= 0) return;
  const double r = rms_rstd(x, n, eps);
  double mean_dyx = 0;
  for (int64_t i = 0; i < n; ++i) mean_dyx += double(dy[i]) * x[i];
  mean_dyx /= double(n);
  for (int64_t i = 0; i < n; ++i) dx[i] = float(r * dy[i] - x[i] * r * r * r * mean_dyx);
}

}  // namespace lowbit

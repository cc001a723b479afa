#include "quant/act_quant.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace lowbit {

namespace {

double absmax(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// clip(round(v), lo, hi) and the STE mask bit for it.
double round_clip(double v, double lo, double hi, uint8_t* pass) {
  const double r = round_half_away(v);  // NaN input: 0 rather than NaN cast to an integer
  const double c = std::clamp(r, lo, hi);
  if (pass) *pass = std::fabs(c - r) < 0.5 ? 1 : 0;
  return c;
}

double s1_levels(int bits) {
  LOWBIT_CHECK(bits >= 2 && bits <= 16, "activation bits must be in [2, 16], got {}", bits);
  return std::ldexp(1.0, bits - 1);
}

}  // namespace

ActQuantResult quant_absmax_signed(const float* x, int64_t n, int bits, float* q, uint8_t* pass) {
  const double qb = s1_levels(bits);
  const double gamma = absmax(x, n);
  const double k = gamma > 0 ? qb / gamma : 0.0;
  for (int64_t i = 0; i < n; ++i)
    q[i] = float(round_clip(x[i] * k, -qb + kQuantEps, qb - kQuantEps, pass ? pass + i : nullptr));
  return {float(gamma), gamma / qb};
}

ActQuantResult quant_absmax_shifted(const float* x, int64_t n, int bits, float* q, uint8_t* pass) {
  const double qb = s1_levels(bits);
  const double gamma = absmax(x, n);
  const double eta = n > 0 ? *std::min_element(x, x + n) : 0.0;
  const double k = gamma > 0 ? qb / gamma : 0.0;
  for (int64_t i = 0; i < n; ++i)
    q[i] = float(round_clip((x[i] - eta) * k, kQuantEps, qb - kQuantEps, pass ? pass + i : nullptr));
  return {float(gamma), gamma / qb};
}

ActQuantResult quant_int8_absmax(const float* x, int64_t n, int8_t* q, uint8_t* pass) {
  const double gamma = absmax(x, n);
  const double k = gamma > 0 ? 127.0 / gamma : 0.0;
  for (int64_t i = 0; i < n; ++i) q[i] = int8_t(round_clip(x[i] * k, -128, 127, pass ? pass + i : nullptr));
  return {float(gamma), gamma / 127.0};
}

ActQuantResult quant_int4_absmean(const float* x, int64_t n, int8_t* q, uint8_t* pass) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::fabs(x[i]);
  const double beta = n > 0 ? double(float(sum / double(n))) : 0.0;
  const double sqrt7 = std::sqrt(7.0);
  const double k = beta > 0 ? sqrt7 / beta : 0.0;
  for (int64_t i = 0; i < n; ++i) q[i] = int8_t(round_clip(x[i] * k, -8, 7, pass ? pass + i : nullptr));
  return {float(beta), beta / sqrt7};
}

}  // namespace lowbit

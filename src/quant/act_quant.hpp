// Per-token activation quantizers of docs/MATH.md, one vector (one
// token) at a time, scalar and exact: the reference the SIMD kernels match.
//
// Every quantizer writes the quantized values q and returns the statistic it
// used and the dequantization step, so that q[i] * step approximates x[i]
// (for the shifted S1 variant: x[i] - min x). The same statistic quantizes
// and dequantizes (the "S1 pitfall" of docs/MATH.md was recomputing it after
// quantization). round() is half away from zero (std::round).
//
// `pass` (optional, length n) receives the straight-through estimator's
// mask: 1 where the gradient passes as identity, 0 where the clip was
// active. We count the clip as active when it moved the rounded value by at
// least half a step, i.e. the input lay outside the representable range; the
// paper's +-eps margin of S1, which only nudges +-Qb to +-(Qb - eps), does
// not count, so the largest activation of a token keeps its gradient.
//
// A zero vector (statistic 0) quantizes to zeros (the shifted variant to its
// lower clip bound) with step 0, so the layer's output is exactly 0, never NaN.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lowbit {

inline constexpr float kQuantEps = 1e-5f;

// std::round (half away from zero) without the libm call, which dominated
// the training profile: truncate |v| + 0.5 and step back where that sum was
// itself rounded up (|v| just below k + 0.5). Exact for |v| < 2^30; larger
// values are saturated first (every caller clips to a small range anyway).
// NaN gives 0.
inline double round_half_away(double v) {
  double a = std::fabs(v);
  a = a < 1073741824.0 ? a : (a == a ? 1073741824.0 : 0.0);  // saturate; NaN -> 0
  const double t = double(int64_t(a + 0.5));  // NOLINT(bugprone-incorrect-roundings): corrected on the next line
  return std::copysign(t - (a < t - 0.5 ? 1.0 : 0.0), v);  // t - 0.5 is exact; selects, not branches
}

// v rounded half away from zero and saturated to int8; NaN maps to 0 so
// that non-finite input can never reach an undefined float-to-int cast.
inline int8_t round_to_int8(double v) {
  const double r = round_half_away(v);
  return int8_t(r < -128 ? -128 : r > 127 ? 127 : r);
}

struct ActQuantResult {
  float stat = 0;   // gamma = max|x| (absmax) or beta = mean|x| (absmean)
  double step = 0;  // dequantization factor: x ~ q * step
};

// S1 BitLinear v1, b-bit absmax: Qb = 2^(b-1), gamma = max|x|,
// q = clip(round(x * Qb / gamma), -Qb + eps, Qb - eps), step = gamma / Qb.
// q is float because the paper's eps margin makes the extremes non-integer.
ActQuantResult quant_absmax_signed(const float* x, int64_t n, int bits, float* q, uint8_t* pass = nullptr);

// S1, the variant before a non-negative non-linearity: eta = min x,
// q = clip(round((x - eta) * Qb / gamma), eps, Qb - eps), gamma = max|x|,
// step = gamma / Qb; q * step represents x - eta (as in the paper, the shift
// is not added back).
ActQuantResult quant_absmax_shifted(const float* x, int64_t n, int bits, float* q, uint8_t* pass = nullptr);

// S4 / S3 a8: gamma = max|x|, q = clip(round(127 x / gamma), -128, 127),
// step = gamma / 127.
ActQuantResult quant_int8_absmax(const float* x, int64_t n, int8_t* q, uint8_t* pass = nullptr);

// S3 a4: beta = mean|x|, q = clip(round(sqrt(7) x / beta), -8, 7),
// step = beta / sqrt(7).
ActQuantResult quant_int4_absmean(const float* x, int64_t n, int8_t* q, uint8_t* pass = nullptr);

}  // namespace lowbit

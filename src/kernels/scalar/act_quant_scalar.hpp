// The scalar per-token activation quantizer, shared by the scalar table and
// by SIMD tables for the cases their vector code does not cover.
#pragma once

#include <cmath>
#include <cstdint>

namespace lowbit {

// One activation: clip(round(127 x / gamma)), gamma > 0. 127 x is exact in
// double and the division correctly rounded, so round() sees the true
// quotient except where it is exactly a tie. NaN (non-finite input) -> 0.
inline int8_t quantize_one(float x, float gamma) {
  double v = std::round(double(x) * 127.0 / double(gamma));
  if (!(v == v)) v = 0.0;
  v = v > 127.0 ? 127.0 : (v < -128.0 ? -128.0 : v);
  return int8_t(v);
}

int32_t quantize_act_scalar(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale);

}  // namespace lowbit

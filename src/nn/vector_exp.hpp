// exp(x) for float in plain, branch-free C++ that compilers vectorize
// (std::exp is a libm call per element: the SiLU of a llama block spent
// more time in it than in the rest of its serial work together).
//
// Cody-Waite reduction x = n ln2 + r, |r| <= ln2 / 2, with ln2 split into
// a short high part (n * kLn2Hi is exact) and a correction; exp(r) by the
// minimax polynomial of the Cephes library's expf (S. Moshier: relative
// error about 1 ulp); 2^n written into the exponent bits. x is clamped to
// [-87.3, 88.3], so n stays in the normal range: below, the result is
// ~1e-38 instead of a subnormal or 0; above, ~2e38 instead of inf. NaN
// stays NaN only through the caller's other operands (SiLU: x / (1 + e)).
#pragma once

#include <bit>
#include <cstdint>

namespace lowbit {

inline float vector_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  // rounds to nearest by the float addition (|x log2e| < 2^22), no floor():
  // SSE2 has no rounding instruction to vectorize floor() with.
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  const float n = (x * kLog2e + kRound) - kRound;
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

}  // namespace lowbit

// The attention helpers dot_f32 / axpy_f32 of every kernel table against a
// double-precision loop, on lengths around the vector widths (tails).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "kernels/dispatch.hpp"
#include "../common/per_isa.hpp"

using namespace lowbit;

class VecF32PerIsa : public PerIsa {};

TEST_P(VecF32PerIsa, HandComputed) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  const float a[3] = {1.0f, 2.0f, 3.0f}, b[3] = {4.0f, -5.0f, 6.0f};
  {
    EXPECT_EQ(k->dot_f32(a, b, 3), 12.0f) << isa_name(isa);  // 4 - 10 + 18
    float y[3] = {1.0f, 1.0f, 1.0f};
    k->axpy_f32(2.0f, a, y, 3);
    EXPECT_EQ(y[0], 3.0f);
    EXPECT_EQ(y[1], 5.0f);
    EXPECT_EQ(y[2], 7.0f);
  }
}

TEST_P(VecF32PerIsa, MatchesDoubleLoop) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  Rng rng(11);
  for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 128, 256}) {
    std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n)), y0(static_cast<size_t>(n));
    for (auto& v : a) v = rng.normal();
    for (auto& v : b) v = rng.normal();
    for (auto& v : y0) v = rng.normal();
    double dot = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      dot += double(a[size_t(i)]) * b[size_t(i)];
      mag += std::fabs(double(a[size_t(i)]) * b[size_t(i)]);
    }
    {
      // Any summation order is within n ulps of the sum of magnitudes.
      EXPECT_NEAR(k->dot_f32(a.data(), b.data(), n), dot, 1e-6 * (mag + 1) * double(n + 1))
          << isa_name(isa) << " n=" << n;
      std::vector<float> y = y0;
      k->axpy_f32(-0.75f, a.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(y[size_t(i)], double(y0[size_t(i)]) - 0.75 * a[size_t(i)], 1e-6 * (std::fabs(y0[size_t(i)]) + 1))
            << isa_name(isa) << " n=" << n << " i=" << i;
    }
  }
}

LOWBIT_INSTANTIATE_PER_ISA(VecF32PerIsa);

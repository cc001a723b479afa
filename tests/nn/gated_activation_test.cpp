// The decoder's gated activations against double-precision formulas, and
// vector_exp against exp() over the whole float range it serves.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "nn/gated_activation.hpp"
#include "nn/vector_exp.hpp"

using namespace lowbit;

TEST(VectorExp, WithinOneUlpOfExpOverItsRange) {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.000731f) {
    const double e = std::exp(double(x));
    worst = std::max(worst, std::fabs(double(vector_exp(x)) - e) / e);
  }
  EXPECT_LT(worst, 1.2e-7);  // float's ulp is 6e-8 to 1.2e-7 relative
  EXPECT_EQ(vector_exp(0.0f), 1.0f);
  // Clamped ends: finite and monotone, never inf or 0.
  EXPECT_TRUE(std::isfinite(vector_exp(1e30f)));
  EXPECT_GT(vector_exp(-1e30f), 0.0f);
  EXPECT_GE(vector_exp(1e30f), vector_exp(88.0f));
}

TEST(GatedActivation, SiluAndRelu2MatchTheirFormulas) {
  Rng rng(5);
  const int64_t n = 1000;  // not a multiple of the block or vector width
  std::vector<float> g(n), u(n), out(n);
  for (int64_t i = 0; i < n; ++i) g[size_t(i)] = rng.normal() * 6, u[size_t(i)] = rng.normal();
  g[0] = 200.0f, g[1] = -200.0f;  // far tails: silu -> x and -> -0
  const float sg = 0.75f, su = 1.5f;
  silu_gate(g.data(), u.data(), n, sg, su, out.data());
  for (int64_t i = 0; i < n; ++i) {
    const double x = double(g[size_t(i)]) * sg, want = x / (1 + std::exp(-x)) * (double(u[size_t(i)]) * su);
    EXPECT_NEAR(out[size_t(i)], want, 1e-6 * std::fabs(want) + 1e-30) << i;  // ~6 float roundings
  }
  relu2_gate(g.data(), u.data(), n, sg, su, out.data());
  for (int64_t i = 0; i < n; ++i) {
    const double x = std::max(0.0, double(g[size_t(i)]) * sg), want = x * x * (double(u[size_t(i)]) * su);
    EXPECT_NEAR(out[size_t(i)], want, 4e-7 * std::fabs(want)) << i;
  }
  // In place (out = g), as the decoder calls it.
  std::vector<float> g2 = g;
  silu_gate(g2.data(), u.data(), n, sg, su, g2.data());
  silu_gate(g.data(), u.data(), n, sg, su, out.data());
  EXPECT_EQ(g2, out);
}

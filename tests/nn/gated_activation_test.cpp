// The relu^2 gate against the double formula, out of place and in place.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "nn/gated_activation.hpp"

using namespace lowbit;

TEST(GatedActivation, Relu2MatchesItsFormula) {
  Rng rng(5);
  const int64_t n = 1000;  // not a multiple of the block or vector width
  std::vector<float> g(n), u(n), out(n);
  for (int64_t i = 0; i < n; ++i) g[size_t(i)] = rng.normal() * 6, u[size_t(i)] = rng.normal();
  const float sg = 0.75f, su = 1.5f;
  relu2_gate(g.data(), u.data(), n, sg, su, out.data());
  for (int64_t i = 0; i < n; ++i) {
    const double x = std::max(0.0, double(g[size_t(i)]) * sg), want = x * x * (double(u[size_t(i)]) * su);
    EXPECT_NEAR(out[size_t(i)], want, 1e-6 * std::fabs(want)) << i;
  }
  std::vector<float> g2 = g;
  relu2_gate(g2.data(), u.data(), n, sg, su, g2.data());
  EXPECT_EQ(g2, out);
}

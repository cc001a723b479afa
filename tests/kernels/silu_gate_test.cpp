// The SiLU gate of every ISA against x / (1 + exp(-x)) * u in double,
// including the far tails (where e^-x leaves float's range) and in place.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../common/per_isa.hpp"
#include "core/rng.hpp"
#include "kernels/silu_gate.hpp"

using namespace lowbit;

namespace {
class SiluGatePerIsa : public PerIsa {};
}  // namespace

TEST_P(SiluGatePerIsa, MatchesTheDoubleFormula) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const SiluGateFn fn = pick_for_isa(isa, silu_gate_for);  // AVX-512 runs AVX2's
  ASSERT_NE(fn, nullptr);
  Rng rng(5);
  const int64_t n = 1003;  // a tail after the 8-lane part
  std::vector<float> g(n), u(n), out(n);
  for (int64_t i = 0; i < n; ++i) g[size_t(i)] = rng.normal() * 6, u[size_t(i)] = rng.normal();
  g[0] = 200.0f, g[1] = -200.0f, g[2] = 1e30f, g[3] = -1e30f, g[4] = 0.0f, g[n - 1] = -90.0f;
  const float sg = 0.75f, su = 1.5f;
  fn(g.data(), u.data(), n, sg, su, out.data());
  for (int64_t i = 0; i < n; ++i) {
    const double x = double(g[size_t(i)]) * sg, want = x / (1 + std::exp(-x)) * (double(u[size_t(i)]) * su);
    // ~6 float roundings and e^-x within about one ulp; where e^-x leaves
    // float's range the gate is x or 0 up to 1e-30.
    EXPECT_NEAR(out[size_t(i)], want, 1e-6 * std::fabs(want) + 1e-30) << i << " x=" << x;
  }
  // In place (out = g), as the decoder calls it.
  std::vector<float> g2 = g;
  fn(g2.data(), u.data(), n, sg, su, g2.data());
  EXPECT_EQ(g2, out);
}

LOWBIT_INSTANTIATE_PER_ISA(SiluGatePerIsa);

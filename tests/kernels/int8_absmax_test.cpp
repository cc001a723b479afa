// The training path's int8 absmax quantizer against hand-computed codes and
// against the reference quant_int8_absmax (quant/act_quant), bit for bit:
// random rows of every length around the vector width, exact .5 ties,
// zeros, NaN and infinities (the reference's own cases); on every ISA the
// host runs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../common/per_isa.hpp"
#include "core/rng.hpp"
#include "kernels/int8_absmax.hpp"

namespace lowbit {
namespace {

void expect_same_as_reference(Isa isa, const std::vector<float>& x, const char* what) {
  const int64_t n = int64_t(x.size());
  std::vector<int8_t> q(x.size(), 99), qr(x.size(), 99);
  std::vector<uint8_t> p(x.size(), 7), pr(x.size(), 7);
  const ActQuantResult r = int8_absmax_quantize_isa(isa, x.data(), n, q.data(), p.data());
  const ActQuantResult rr = quant_int8_absmax(x.data(), n, qr.data(), pr.data());
  ASSERT_EQ(r.stat, rr.stat) << what;
  ASSERT_EQ(r.step, rr.step) << what;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(q[i], qr[i]) << what << " n=" << n << " at " << i << " x=" << x[i];
    ASSERT_EQ(p[i], pr[i]) << what << " n=" << n << " at " << i;
  }
}

class Int8AbsmaxPerIsa : public PerIsa {};

TEST_P(Int8AbsmaxPerIsa, HandComputedTiesRoundAwayFromZero) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  // gamma = 127: the codes are x rounded half away from zero.
  const std::vector<float> x = {127.0f, 2.5f, -3.5f, 0.5f, -0.49f, -127.0f, 126.5f};
  std::vector<int8_t> q(x.size());
  std::vector<uint8_t> pass(x.size());
  const ActQuantResult r = int8_absmax_quantize_isa(GetParam(), x.data(), int64_t(x.size()), q.data(), pass.data());
  EXPECT_EQ(r.stat, 127.0f);
  EXPECT_EQ(r.step, 1.0);
  EXPECT_EQ(q, (std::vector<int8_t>{127, 3, -4, 1, 0, -127, 127}));
  for (uint8_t b : pass) EXPECT_EQ(b, 1);
}

TEST_P(Int8AbsmaxPerIsa, MatchesTheReferenceBitForBit) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  const Isa isa = GetParam();
  Rng rng(31);
  for (int64_t n : {1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 64, 100, 256, 768}) {
    for (int rep = 0; rep < 20; ++rep) {
      std::vector<float> x(static_cast<size_t>(n));
      const float scale = std::ldexp(1.0f, int(rng.next_u64() % 40) - 20);
      for (auto& v : x) v = float(rng.normal()) * scale;
      expect_same_as_reference(isa, x, "random");
      // Values on the grid of the codes, so x * 127 / gamma lands near k + 1/2.
      for (auto& v : x) v = (float(int(rng.next_u64() % 255) - 127) + 0.5f) * scale / 127.0f;
      expect_same_as_reference(isa, x, "ties");
    }
  }
  expect_same_as_reference(isa, std::vector<float>(33, 0.0f), "zeros");
  std::vector<float> x(40, 1.0f);
  x[3] = NAN;
  expect_same_as_reference(isa, x, "nan");
  x[3] = -INFINITY;
  expect_same_as_reference(isa, x, "inf");
}

LOWBIT_INSTANTIATE_PER_ISA(Int8AbsmaxPerIsa);

}  // namespace
}  // namespace lowbit

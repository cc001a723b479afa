// The int32-sum rescaling kernel per ISA against the double formula,
// bit for bit (the same two multiplies, one rounding to float), with and
// without per-output scales, at lengths around the vector width, and
// hand-computed values.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "../common/per_isa.hpp"
#include "core/rng.hpp"
#include "kernels/scale_rows.hpp"

namespace lowbit {
namespace {

class ScaleRowsTest : public PerIsa {};

TEST_P(ScaleRowsTest, MatchesTheDoubleFormulaBitForBit) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  const ScaleRowFn fn = pick_for_isa(GetParam(), scale_row_for_isa);
  Rng rng(41);
  for (int64_t n : {0, 1, 3, 4, 5, 8, 13, 768}) {
    std::vector<int32_t> acc(static_cast<size_t>(n));
    std::vector<float> w(static_cast<size_t>(n)), y(static_cast<size_t>(n), 7.0f);
    for (auto& a : acc) a = int32_t(rng.next_u64() % 4000001) - 2000000;
    for (auto& v : w) v = float(rng.normal()) * 0.01f;
    const double x_step = 0.0123456789, w_all = 0.031;
    for (bool per_output : {false, true}) {
      fn(acc.data(), x_step, per_output ? w.data() : nullptr, w_all, n, y.data());
      for (int64_t o = 0; o < n; ++o) {
        const float want = float(double(acc[size_t(o)]) * x_step * (per_output ? double(w[size_t(o)]) : w_all));
        ASSERT_EQ(std::bit_cast<uint32_t>(y[size_t(o)]), std::bit_cast<uint32_t>(want)) << "n " << n << " o " << o;
      }
    }
  }
  // By hand: 3 * 0.5 * 0.25 and -8 * 0.5 * 0.25.
  const int32_t a[2] = {3, -8};
  float out[2];
  fn(a, 0.5, nullptr, 0.25, 2, out);
  EXPECT_EQ(out[0], 0.375f);
  EXPECT_EQ(out[1], -1.0f);
}

LOWBIT_INSTANTIATE_PER_ISA(ScaleRowsTest);

}  // namespace
}  // namespace lowbit

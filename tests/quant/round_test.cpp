// round_half_away against std::round on the values where a fast rounding
// goes wrong: just below .5, exact halves, large and non-finite values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/rng.hpp"
#include "quant/act_quant.hpp"

namespace lowbit {
namespace {

TEST(RoundHalfAway, EdgeCases) {
  EXPECT_EQ(round_half_away(0.49999999999999994), 0.0);  // + 0.5 rounds up to 1.0 in double
  EXPECT_EQ(round_half_away(0.5), 1.0);
  EXPECT_EQ(round_half_away(-0.5), -1.0);
  EXPECT_EQ(round_half_away(2.5), 3.0);
  EXPECT_EQ(round_half_away(-2.5), -3.0);
  EXPECT_EQ(round_half_away(-126.49999999999999), -126.0);
  EXPECT_EQ(round_half_away(127.5), 128.0);
  EXPECT_EQ(round_half_away(1e300), 1073741824.0);  // saturated
  EXPECT_EQ(round_half_away(-INFINITY), -1073741824.0);
  EXPECT_EQ(round_half_away(std::numeric_limits<double>::quiet_NaN()), 0.0);
  EXPECT_EQ(round_to_int8(300.0), 127);
  EXPECT_EQ(round_to_int8(-300.0), -128);
}

TEST(RoundHalfAway, MatchesStdRoundOnRandomValues) {
  Rng rng(3);
  for (int i = 0; i < 100000; ++i) {
    const double v = (rng.uniform() - 0.5) * 400.0;
    ASSERT_EQ(round_half_away(v), std::round(v)) << v;
    const double half = std::floor(v) + 0.5;  // exact ties
    ASSERT_EQ(round_half_away(half), std::round(half)) << half;
  }
}

}  // namespace
}  // namespace lowbit

// The visiting order of the decode GEMVs' two streams (kernels/two_streams.hpp),
// against orders written out by hand: every index once, the halves alternate.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/two_streams.hpp"

namespace lowbit {
namespace {

std::vector<int64_t> order(int64_t n, int64_t min_n) {
  std::vector<int64_t> v;
  detail::for_each_two_streams(n, min_n, [&](int64_t i) { v.push_back(i); });
  return v;
}

TEST(TwoStreams, HalvesAlternate) {
  EXPECT_EQ(order(8, 8), (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  // odd: the first half is the longer one and ends the walk
  EXPECT_EQ(order(9, 8), (std::vector<int64_t>{0, 5, 1, 6, 2, 7, 3, 8, 4}));
  EXPECT_EQ(order(3, 2), (std::vector<int64_t>{0, 2, 1}));
}

TEST(TwoStreams, ShortRangesKeepPlainOrder) {
  EXPECT_EQ(order(7, 8), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(order(0, 8).empty());
  EXPECT_TRUE(order(0, 0).empty());
}

}  // namespace
}  // namespace lowbit

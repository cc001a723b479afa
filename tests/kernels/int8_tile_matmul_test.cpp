// The AMX int8 product (kernels/int8_tile_matmul) against a plain int64
// loop, exactly: shapes on and off the tile grid (16 rows, 32 columns, 64
// codes), extreme codes (-128 x -128 sums), and x rows with a stride wider
// than the padded width. Skipped where the machine has no usable AMX.
#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"
#include "kernels/amx.hpp"
#include "kernels/int8_tile_matmul.hpp"
#include "quant/int_matmul.hpp"

namespace lowbit {
namespace {

TEST(Int8TileMatmul, MatchesIntegerLoopsExactly) {
  if (!amx_usable()) GTEST_SKIP() << "no usable AMX here";
  Rng rng(11);
  struct Case {
    int64_t T, out, in, extra_stride;
    bool extreme;
  };
  for (const Case c : {Case{64, 96, 128, 0, false}, Case{45, 37, 70, 64, false}, Case{1, 1, 1, 0, true},
                       Case{33, 17, 200, 0, true}, Case{130, 256, 768, 0, false}}) {
    std::vector<int8_t> w(size_t(c.out * c.in));
    for (int8_t& v : w) v = c.extreme ? int8_t(-128) : int8_t(int(rng.next_u64() % 3) - 1);
    Int8TileWeights packed;
    pack_int8_tile_weights(w.data(), c.out, c.in, packed);
    ASSERT_EQ(packed.in_pad % 64, 0);
    const int64_t ldx = packed.in_pad + c.extra_stride;
    std::vector<int8_t> x(size_t(c.T * ldx), 0);  // zero beyond `in`, as the contract asks
    for (int64_t t = 0; t < c.T; ++t)
      for (int64_t k = 0; k < c.in; ++k)
        x[size_t(t * ldx + k)] = c.extreme ? int8_t(-128) : int8_t(int(rng.next_u64() % 256) - 128);
    std::vector<int32_t> acc(size_t(c.T * c.out), 12345);
    int8_tile_matmul_i32(packed, x.data(), ldx, c.T, acc.data());
    for (int64_t t = 0; t < c.T; ++t)
      for (int64_t o = 0; o < c.out; ++o) {
        int64_t want = 0;
        for (int64_t k = 0; k < c.in; ++k) want += int64_t(w[size_t(o * c.in + k)]) * x[size_t(t * ldx + k)];
        ASSERT_EQ(acc[size_t(t * c.out + o)], want)
            << "T " << c.T << " out " << c.out << " in " << c.in << " at " << t << "," << o;
      }
  }
}

}  // namespace
}  // namespace lowbit

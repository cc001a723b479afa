// The table-lookup ternary kernel: pack layout by hand, the scalar LUT
// against an int64 loop and against the tiled kernels (another code path),
// every SIMD LUT table against the scalar one, bit for bit, on random and
// edge shapes (rows/columns off the 16/8 blocks, single row and token,
// all-zero weights, extreme activations).
#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/ternary_lut.hpp"
#include "kernels/ternary_matmul.hpp"
#include "../common/per_isa.hpp"

using namespace lowbit;

namespace {

std::vector<int8_t> random_ternary(Rng& rng, int64_t n) {
  std::vector<int8_t> w(static_cast<size_t>(n));
  for (auto& v : w) v = int8_t(int(rng.next_u64() % 3) - 1);
  return w;
}

QuantizedActivations random_q8(Rng& rng, int64_t T, int64_t in, bool extreme = false) {
  QuantizedActivations q;
  q.tokens = T, q.in = in, q.in_pad = (in + 127) / 128 * 128;
  q.q = AlignedBuffer(size_t(T * q.in_pad));
  q.scale.assign(size_t(T), 1.0f);
  q.sum.assign(size_t(T), 0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < in; ++k)
      q.q.as<int8_t>()[t * q.in_pad + k] = extreme ? int8_t(t % 2 ? 127 : -128) : int8_t(int(rng.next_u64() % 256) - 128);
  return q;
}

std::vector<int32_t> int64_loop(const std::vector<int8_t>& w, const QuantizedActivations& x, int64_t out) {
  std::vector<int32_t> acc(size_t(x.tokens * out));
  for (int64_t t = 0; t < x.tokens; ++t)
    for (int64_t o = 0; o < out; ++o) {
      int64_t s = 0;
      for (int64_t k = 0; k < x.in; ++k) s += int64_t(w[size_t(o * x.in + k)]) * x.row(t)[k];
      acc[size_t(t * out + o)] = int32_t(s);
    }
  return acc;
}

struct Shape3 {
  int64_t out, in, tokens;
};
const Shape3 kShapes[] = {{1, 1, 1},    {3, 5, 2},    {16, 8, 1},    {17, 9, 3},    {15, 127, 2},
                          {33, 300, 4}, {64, 256, 1}, {40, 1000, 3}, {20, 2560, 2}, {300, 136, 2}};

}  // namespace

TEST(TernaryLut, PackLayoutByHand) {
  // Row 0: columns 0..7 = -1 0 +1 +1 0 -1 -1 -1 -> groups (-1,0)=1, (+1,+1)=8, (0,-1)=3, (-1,-1)=0.
  const std::vector<int8_t> w = {-1, 0, 1, 1, 0, -1, -1, -1};
  const PackedTernaryLut p = pack_ternary_lut(w.data(), 1, 8);
  EXPECT_EQ(p.out_pad, 16);
  EXPECT_EQ(p.in_pad, 8);
  const uint8_t* b = p.block(0, 0);
  EXPECT_EQ(b[0], 1 | 3 << 4);   // groups 0 and 2
  EXPECT_EQ(b[16], 8 | 0 << 4);  // groups 1 and 3
  EXPECT_EQ(b[1], 4 | 4 << 4);   // padding rows: all-zero pairs (index 4)
  const std::vector<int8_t> bad = {2};
  EXPECT_THROW(pack_ternary_lut(bad.data(), 1, 1), Error);
}

TEST(TernaryLut, ScalarMatchesInt64LoopAndTiledKernels) {
  Rng rng(7);
  for (const auto& s : kShapes) {
    const auto w = random_ternary(rng, s.out * s.in);
    const auto x = random_q8(rng, s.tokens, s.in);
    std::vector<int32_t> acc(size_t(s.out * s.tokens)), tiled(acc.size());
    ternary_lut_matmul_i32(pack_ternary_lut(w.data(), s.out, s.in), x, acc.data(), *scalar_ternary_lut_kernels());
    EXPECT_EQ(acc, int64_loop(w, x, s.out)) << s.out << "x" << s.in << "x" << s.tokens;
    QuantizedActivations xs = random_q8(rng, s.tokens, s.in);
    for (int64_t t = 0; t < s.tokens; ++t) {  // the tiled path wants sum q
      int32_t sum = 0;
      for (int64_t k = 0; k < s.in; ++k) sum += xs.row(t)[k];
      xs.sum[size_t(t)] = sum;
    }
    ternary_matmul_i32(pack_ternary(w.data(), s.out, s.in, 1.0f), xs, tiled.data());
    ternary_lut_matmul_i32(pack_ternary_lut(w.data(), s.out, s.in), xs, acc.data(), *scalar_ternary_lut_kernels());
    EXPECT_EQ(acc, tiled) << s.out << "x" << s.in << "x" << s.tokens;
  }
}

class TernaryLutPerIsa : public PerIsa {};

TEST_P(TernaryLutPerIsa, EverySimdPathMatchesScalarBitForBit) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryLutKernels* k = pick_for_isa(isa, ternary_lut_kernels_for);
  Rng rng(8);
  {
    for (const auto& s : kShapes)
      for (int mode = 0; mode < 3; ++mode) {  // random, all-zero weights, extreme activations with +-1 weights
        auto w = random_ternary(rng, s.out * s.in);
        if (mode == 1) w.assign(w.size(), 0);
        if (mode == 2)
          for (size_t i = 0; i < w.size(); ++i) w[i] = int8_t(i % 3 == 2 ? 1 : -1);
        const auto x = random_q8(rng, s.tokens, s.in, mode == 2);
        const PackedTernaryLut p = pack_ternary_lut(w.data(), s.out, s.in);
        std::vector<int32_t> a0(size_t(s.out * s.tokens)), a1(a0.size(), 12345);
        ternary_lut_matmul_i32(p, x, a0.data(), *scalar_ternary_lut_kernels());
        ternary_lut_matmul_i32(p, x, a1.data(), *k);
        EXPECT_EQ(a0, a1) << isa_name(isa) << " " << s.out << "x" << s.in << "x" << s.tokens << " mode " << mode;
      }
  }
}

TEST_P(TernaryLutPerIsa, ExtremeActivationsAtLongRows) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryLutKernels* k = pick_for_isa(isa, ternary_lut_kernels_for);
  // All +1 against -128: every int8 / int16 stage at its largest magnitude.
  const int64_t out = 17, in = 8192;
  std::vector<int8_t> w(size_t(out * in), 1);
  for (int64_t k = 0; k < in; ++k) w[size_t(in + k)] = -1;  // row 1 all -1
  Rng rng(9);
  const auto x = random_q8(rng, 2, in, true);  // token 0: -128, token 1: 127
  {
    std::vector<int32_t> acc(size_t(2 * out));
    ternary_lut_matmul_i32(pack_ternary_lut(w.data(), out, in), x, acc.data(), *k);
    EXPECT_EQ(acc[0], -128 * in) << isa_name(k->isa);
    EXPECT_EQ(acc[1], 128 * in) << isa_name(k->isa);
    EXPECT_EQ(acc[size_t(out)], 127 * in) << isa_name(k->isa);
    EXPECT_EQ(acc[size_t(out + 1)], -127 * in) << isa_name(k->isa);
  }
}

LOWBIT_INSTANTIATE_PER_ISA(TernaryLutPerIsa);

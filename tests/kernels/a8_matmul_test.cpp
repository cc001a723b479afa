// A8 kernels (int8 x int8 for LLM.int8, binary x int8 for BitLinear v1): the
// scalar reference against hand-computed values and int64 loops; every SIMD
// table against the scalar one, bit for bit, on random and edge shapes
// (tails of every block size, single rows and tokens, all-zero weights,
// extreme activations at the longest allowed rows).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "kernels/a8_kernels.hpp"
#include "kernels/binary_matmul.hpp"
#include "kernels/int8_matmul.hpp"
#include "../common/per_isa.hpp"

using namespace lowbit;

namespace {

std::vector<int8_t> random_i8(Rng& rng, int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (auto& e : v) e = int8_t(int(rng.next_u64() % 256) - 128);
  return v;
}

std::vector<int8_t> random_signs(Rng& rng, int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (auto& e : v) e = rng.next_u64() % 2 ? 1 : -1;
  return v;
}

// Plain int64 loop: sum_k w[o,k] * x[t,k].
std::vector<int32_t> int64_loop(const std::vector<int8_t>& w, const std::vector<int8_t>& x, int64_t out, int64_t in,
                                int64_t T) {
  std::vector<int32_t> acc(static_cast<size_t>(T * out));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t o = 0; o < out; ++o) {
      int64_t s = 0;
      for (int64_t k = 0; k < in; ++k) s += int64_t(w[size_t(o * in + k)]) * x[size_t(t * in + k)];
      acc[size_t(t * out + o)] = int32_t(s);
    }
  return acc;
}

struct Shape3 {
  int64_t out, in, tokens;
};
// Columns around the 16/32/64-wide steps, rows around the 4-row tiles,
// tokens around the 2/4-token tiles and the 16-token blocks.
const Shape3 kShapes[] = {{1, 1, 1},    {3, 5, 2},     {4, 16, 1},   {5, 31, 3},   {4, 32, 4},
                          {6, 63, 5},   {9, 64, 1},    {7, 65, 6},   {13, 300, 5}, {64, 256, 7},
                          {33, 1000, 9}, {8, 2560, 17}, {7, 4133, 2}, {1100, 300, 40}};


}  // namespace

TEST(Int8Matmul, HandComputedValues) {
  // w = [[1, -2, 3], [-128, 127, 0]], x = [[4, 5, -6], [-128, -128, 127]]
  const std::vector<int8_t> w = {1, -2, 3, -128, 127, 0}, x = {4, 5, -6, -128, -128, 127};
  std::vector<int32_t> acc(4);
  int8_matmul_i32(w.data(), 2, 3, x.data(), 2, acc.data(), *scalar_a8_kernels());
  // t0: 4 - 10 - 18 = -24; -512 + 635 = 123. t1: -128 + 256 + 381 = 509; 16384 - 16256 = 128.
  EXPECT_EQ(acc, (std::vector<int32_t>{-24, 123, 509, 128}));
}

TEST(Int8Matmul, ScalarMatchesInt64Loop) {
  Rng rng(1);
  for (const auto& s : kShapes) {
    const auto w = random_i8(rng, s.out * s.in), x = random_i8(rng, s.tokens * s.in);
    std::vector<int32_t> acc(size_t(s.out * s.tokens));
    int8_matmul_i32(w.data(), s.out, s.in, x.data(), s.tokens, acc.data(), *scalar_a8_kernels());
    EXPECT_EQ(acc, int64_loop(w, x, s.out, s.in, s.tokens)) << s.out << "x" << s.in << "x" << s.tokens;
  }
}

class Int8MatmulPerIsa : public PerIsa {};

TEST_P(Int8MatmulPerIsa, EverySimdPathMatchesScalarBitForBit) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  Rng rng(2);
  {
    for (const auto& s : kShapes)
      for (bool zero_w : {false, true}) {
        auto w = random_i8(rng, s.out * s.in);
        if (zero_w) w.assign(w.size(), 0);
        const auto x = random_i8(rng, s.tokens * s.in);
        std::vector<int32_t> a0(size_t(s.out * s.tokens)), a1(a0.size(), 12345);
        int8_matmul_i32(w.data(), s.out, s.in, x.data(), s.tokens, a0.data(), *scalar_a8_kernels());
        int8_matmul_i32(w.data(), s.out, s.in, x.data(), s.tokens, a1.data(), *k);
        EXPECT_EQ(a0, a1) << isa_name(isa) << " " << s.out << "x" << s.in << "x" << s.tokens << " zero " << zero_w;
      }
  }
}

TEST_P(Int8MatmulPerIsa, ExtremeValuesAtTheLongestRowStayExact) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  // -128 * -128 * (2^17 - 1) = 2^31 - 2^14: the largest sum; the +128 offset
  // of the VNNI path pushes its raw int32 lanes far past 2^31 on the way.
  const int64_t in = kInt8MaxIn, T = 2, out = 5;
  std::vector<int8_t> w(size_t(out * in)), x(size_t(T * in));
  const int8_t wv[out] = {-128, 127, -128, 0, 1};
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) w[size_t(o * in + k)] = wv[o];
  for (int64_t k = 0; k < in; ++k) x[size_t(k)] = -128, x[size_t(in + k)] = 127;
  {
    std::vector<int32_t> acc(size_t(T * out));
    int8_matmul_i32(w.data(), out, in, x.data(), T, acc.data(), *k);
    EXPECT_EQ(acc[0], 16384 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[1], -16256 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[5], -16256 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[6], 16129 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[3], 0) << isa_name(isa);
    EXPECT_EQ(acc[9], 127 * int32_t(in)) << isa_name(isa);
  }
}

TEST(Int8Matmul, RejectsRowsThatCouldOverflow) {
  std::vector<int8_t> w(size_t(kInt8MaxIn + 1)), x(w.size());
  int32_t acc = 0;
  EXPECT_THROW(int8_matmul_i32(w.data(), 1, kInt8MaxIn + 1, x.data(), 1, &acc), Error);
}

TEST(BinaryMatmul, PackKeepsEverySign) {
  Rng rng(3);
  const int64_t out = 3, in = 77;
  const auto s = random_signs(rng, out * in);
  const PackedBinary p = pack_binary(s.data(), out, in);
  EXPECT_EQ(p.row_bytes, 16);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) ASSERT_EQ(p.sign(o, k), s[size_t(o * in + k)]) << o << "," << k;
  // Byte 0 of row 0 holds columns 0..7, LSB first.
  uint8_t b0 = 0;
  for (int k = 0; k < 8; ++k) b0 |= uint8_t((s[size_t(k)] > 0) << k);
  EXPECT_EQ(p.row(0)[0], b0);
  EXPECT_EQ(p.row(0)[10], 0);  // padding bits are zero
}

class BinaryMatmulPerIsa : public PerIsa {};

TEST_P(BinaryMatmulPerIsa, PackTreatsOnlyPositiveEntriesAsPlusOne) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  // 0 and negatives are -1; 19 entries: two full bytes and a 3-entry tail.
  const std::vector<int8_t> s = {0, 5, -3, 127, -128, 1, -1, 0,  //
                                 1, 1, 1, 1, 1, 1, 1, -1,       //
                                 2, 0, -2};
  {
    const PackedBinary p = pack_binary(s.data(), 1, int64_t(s.size()), *k);
    EXPECT_EQ(p.row(0)[0], 0b00101010) << isa_name(isa);
    EXPECT_EQ(p.row(0)[1], 0b01111111) << isa_name(isa);
    EXPECT_EQ(p.row(0)[2], 0b00000001) << isa_name(isa);
  }
}

TEST_P(BinaryMatmulPerIsa, EverySimdPackMatchesScalar) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  Rng rng(6);
  {
    for (int64_t in : {1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000}) {
      const int64_t out = 3;
      const auto s = random_i8(rng, out * in);  // the full int8 range, zeros included
      const PackedBinary a = pack_binary(s.data(), out, in, *scalar_a8_kernels()), b = pack_binary(s.data(), out, in, *k);
      ASSERT_EQ(a.bytes(), b.bytes());
      EXPECT_EQ(std::memcmp(a.row(0), b.row(0), size_t(a.bytes())), 0) << isa_name(isa) << " in " << in;
      for (int64_t kk = 0; kk < in; ++kk) ASSERT_EQ(a.sign(1, kk), s[size_t(in + kk)] > 0 ? 1 : -1) << kk;
    }
  }
}

TEST_P(BinaryMatmulPerIsa, HandComputedValues) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  // s = [[+, -, +], [-, -, -]], x = [[4, 5, -6], [-128, 127, -128]]
  const std::vector<int8_t> s = {1, -1, 1, -1, -1, -1}, x = {4, 5, -6, -128, 127, -128};
  const PackedBinary p = pack_binary(s.data(), 2, 3);
  {
    std::vector<int32_t> acc(4);
    binary_matmul_i32(p, x.data(), 2, acc.data(), *k);
    // t0: 4 - 5 - 6 = -7; -3. t1: -128 - 127 - 128 = -383; 129.
    EXPECT_EQ(acc, (std::vector<int32_t>{-7, -3, -383, 129})) << isa_name(isa);
  }
}

TEST(BinaryMatmul, ScalarMatchesInt64Loop) {
  Rng rng(4);
  for (const auto& sh : kShapes) {
    const auto s = random_signs(rng, sh.out * sh.in), x = random_i8(rng, sh.tokens * sh.in);
    std::vector<int32_t> acc(size_t(sh.out * sh.tokens));
    binary_matmul_i32(pack_binary(s.data(), sh.out, sh.in), x.data(), sh.tokens, acc.data(), *scalar_a8_kernels());
    EXPECT_EQ(acc, int64_loop(s, x, sh.out, sh.in, sh.tokens)) << sh.out << "x" << sh.in << "x" << sh.tokens;
  }
}

TEST_P(BinaryMatmulPerIsa, EverySimdPathMatchesScalarBitForBit) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  Rng rng(5);
  {
    for (const auto& sh : kShapes)
      for (int mode = 0; mode < 3; ++mode) {  // random, all -1, all +1
        auto s = random_signs(rng, sh.out * sh.in);
        if (mode) s.assign(s.size(), int8_t(mode == 1 ? -1 : 1));
        const auto x = random_i8(rng, sh.tokens * sh.in);
        const PackedBinary p = pack_binary(s.data(), sh.out, sh.in);
        std::vector<int32_t> a0(size_t(sh.out * sh.tokens)), a1(a0.size(), 12345);
        binary_matmul_i32(p, x.data(), sh.tokens, a0.data(), *scalar_a8_kernels());
        binary_matmul_i32(p, x.data(), sh.tokens, a1.data(), *k);
        EXPECT_EQ(a0, a1) << isa_name(isa) << " " << sh.out << "x" << sh.in << "x" << sh.tokens << " mode " << mode;
      }
  }
}

TEST_P(BinaryMatmulPerIsa, ExtremeActivationsDoNotSaturate) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const A8Kernels* k = pick_for_isa(isa, a8_kernels_for);
  // x = -128 everywhere: the int16 spans of the AVX2 kernel at their largest.
  const int64_t out = 6, in = 70000, T = 2;
  std::vector<int8_t> s(size_t(out * in)), x(size_t(T * in));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) s[size_t(o * in + k)] = int8_t(o % 2 ? -1 : 1);
  for (int64_t k = 0; k < in; ++k) x[size_t(k)] = -128, x[size_t(in + k)] = 127;
  const PackedBinary p = pack_binary(s.data(), out, in);
  {
    std::vector<int32_t> acc(size_t(T * out));
    binary_matmul_i32(p, x.data(), T, acc.data(), *k);
    EXPECT_EQ(acc[0], -128 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[1], 128 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[6], 127 * int32_t(in)) << isa_name(isa);
    EXPECT_EQ(acc[7], -127 * int32_t(in)) << isa_name(isa);
  }
}

LOWBIT_INSTANTIATE_PER_ISA(Int8MatmulPerIsa);

LOWBIT_INSTANTIATE_PER_ISA(BinaryMatmulPerIsa);

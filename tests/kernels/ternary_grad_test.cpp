// The multiply-free ternary input gradient (kernels/ternary_grad) against a
// double-precision loop over the same operands, per ISA: shapes with `out`
// off the 3-row groups and the 12-group table chunks, `in` off every column
// block, token counts off the 16-token blocks, dy over many binades; every
// ISA's bits equal the portable kernel's (one summation order, see the
// header); the pooled entry point gives the same bits at 1 and 2 threads.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "../common/per_isa.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/ternary_grad.hpp"
#include "quant/int_matmul.hpp"

namespace lowbit {
namespace {

struct Case {
  int64_t tokens, out, in;
};
const Case kCases[] = {{16, 3, 12}, {45, 37, 70}, {64, 256, 768}, {1, 1, 1}, {33, 38, 13}, {20, 768, 256}, {5, 0, 9}};

std::vector<float> random_dy(int64_t n, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = float(rng.normal()) * std::ldexp(1.0f, int(rng.next_u64() % 24) - 16);
  return v;
}

std::vector<int8_t> random_ternary(int64_t n, Rng& rng) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (int8_t& x : v) x = int8_t(int(rng.next_u64() % 3) - 1);
  return v;
}

std::vector<float> run(TernaryGradFn fn, const std::vector<float>& dy, const Case& c, const TernaryGradWeights& w,
                       float scale) {
  std::vector<float> dx(size_t(c.tokens * c.in), 99.0f);
  if (c.out == 0) {
    ternary_input_grad(dy.data(), c.tokens, w, scale, dx.data());
    return dx;
  }
  // Two calls splitting the tokens off the 16-token grid, as two threads would.
  const int64_t mid = c.tokens / 2;
  fn(dy.data(), 0, mid, w, scale, dx.data());
  fn(dy.data(), mid, c.tokens, w, scale, dx.data());
  return dx;
}

class TernaryGradTest : public PerIsa {};

TEST_P(TernaryGradTest, MatchesDoubleLoopAndThePortableBits) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  const TernaryGradFn fn = ternary_grad_for_isa(GetParam());
  if (!fn) GTEST_SKIP() << "no ternary_grad kernel for " << isa_name(GetParam()) << " (falls back)";
  Rng rng(17);
  for (const Case& c : kCases) {
    const std::vector<float> dy = random_dy(c.tokens * c.out, rng);
    const std::vector<int8_t> w = random_ternary(c.out * c.in, rng);
    const float scale = 0.0371f;
    TernaryGradWeights packed;
    pack_ternary_grad_weights(w.data(), c.out, c.in, packed);
    const std::vector<float> dx = run(fn, dy, c, packed, scale);
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t i = 0; i < c.in; ++i) {
        double want = 0, mag = 0;
        for (int64_t o = 0; o < c.out; ++o) {
          const double term = double(dy[size_t(t * c.out + o)]) * w[size_t(o * c.in + i)];
          want += term, mag += std::fabs(term);
        }
        want *= scale, mag *= scale;
        // f32 sums of `out` terms, one rounding per add plus the scale's.
        const double tol = double(c.out + 2) * 6e-8 * mag + 1e-30;
        const float got = dx[size_t(t * c.in + i)];
        ASSERT_LE(std::fabs(got - want), tol) << "out " << c.out << " in " << c.in << " at t " << t << " i " << i;
      }
    const std::vector<float> ref = run(ternary_grad_for_isa(Isa::kScalar), dy, c, packed, scale);
    ASSERT_EQ(std::memcmp(dx.data(), ref.data(), dx.size() * sizeof(float)), 0)
        << isa_name(GetParam()) << " differs from the portable kernel's bits, out " << c.out << " in " << c.in;
  }
}

LOWBIT_INSTANTIATE_PER_ISA(TernaryGradTest);

TEST(TernaryGrad, PooledEntrySameBitsAtOneAndTwoThreads) {
  Rng rng(23);
  const Case c{200, 96, 130};
  const std::vector<float> dy = random_dy(c.tokens * c.out, rng);
  const std::vector<int8_t> w = random_ternary(c.out * c.in, rng);
  TernaryGradWeights packed;
  pack_ternary_grad_weights(w.data(), c.out, c.in, packed);
  std::vector<float> a(size_t(c.tokens * c.in)), b(a.size());
  ThreadPool::set_global_threads(1);
  ternary_input_grad(dy.data(), c.tokens, packed, 0.5f, a.data());
  ThreadPool::set_global_threads(2);
  ternary_input_grad(dy.data(), c.tokens, packed, 0.5f, b.data());
  ThreadPool::set_global_threads(int(std::thread::hardware_concurrency()));
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  // And a value by hand: dy row 0 . column 0 of w, times 0.5.
  double want = 0, mag = 0;
  for (int64_t o = 0; o < c.out; ++o) {
    want += double(dy[size_t(o)]) * w[size_t(o * c.in)];
    mag += std::fabs(double(dy[size_t(o)]));
  }
  EXPECT_NEAR(a[0], 0.5 * want, double(c.out + 2) * 6e-8 * 0.5 * mag + 1e-30);
}

// The forward on int8 codes against an int64 triple loop, per ISA: exact.
// Codes at the extremes (-128 and 127 everywhere, with w~ = sign-matching
// +-1: the largest sums) check the int16 partial sums are widened in time;
// `in` past 3 * 84 takes several widenings, tokens off the 32-token grid.
class TernaryForwardTest : public PerIsa {};

TEST_P(TernaryForwardTest, EqualsIntegerLoop) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  const TernaryForwardFn fn = ternary_forward_for_isa(GetParam());
  if (!fn) GTEST_SKIP() << "no ternary forward kernel for " << isa_name(GetParam()) << " (falls back)";
  Rng rng(29);
  const Case cases[] = {{32, 3, 12},  {45, 37, 70},   {64, 256, 256}, {1, 1, 1},
                        {33, 38, 13}, {40, 96, 1024}, {70, 5, 700}};
  for (const Case& c : cases)
    for (const bool extreme : {false, true}) {
      std::vector<int8_t> q(size_t(c.tokens * c.in)), w = random_ternary(c.out * c.in, rng);
      for (size_t k = 0; k < q.size(); ++k) q[k] = extreme ? int8_t(k % 2 ? 127 : -128) : int8_t(rng.next_u64() % 256);
      if (extreme)  // w~ = sign(q): every product positive
        for (int64_t o = 0; o < c.out; ++o)
          for (int64_t i = 0; i < c.in; ++i) w[size_t(o * c.in + i)] = int8_t(i % 2 ? 1 : -1);
      TernaryGradWeights packed;
      pack_ternary_forward_weights(w.data(), c.out, c.in, packed);
      std::vector<int32_t> y(size_t(c.tokens * c.out), -7);
      const int64_t mid = c.tokens / 2;  // off the 32-token grid, as two threads would split
      fn(q.data(), mid, packed, y.data());
      fn(q.data() + mid * c.in, c.tokens - mid, packed, y.data() + mid * c.out);
      for (int64_t t = 0; t < c.tokens; ++t)
        for (int64_t o = 0; o < c.out; ++o) {
          int64_t want = 0;
          for (int64_t i = 0; i < c.in; ++i) want += int64_t(q[size_t(t * c.in + i)]) * w[size_t(o * c.in + i)];
          ASSERT_EQ(y[size_t(t * c.out + o)], want)
              << "out " << c.out << " in " << c.in << " t " << t << " o " << o << (extreme ? " (extreme)" : "");
        }
    }
}

LOWBIT_INSTANTIATE_PER_ISA(TernaryForwardTest);

TEST(TernaryForward, PooledEntryAndHandValues) {
  // q = [[1, 2, 3, 4]], w~ = [[1, 0, -1, 1], [-1, -1, 0, 0]]: y = [1 - 3 + 4, -1 - 2] = [2, -3].
  const int8_t q[] = {1, 2, 3, 4}, w[] = {1, 0, -1, 1, -1, -1, 0, 0};
  TernaryGradWeights packed;
  pack_ternary_forward_weights(w, 2, 4, packed);
  int32_t y[2] = {99, 99};
  ternary_forward_i8(q, 1, packed, y);
  EXPECT_EQ(y[0], 2);
  EXPECT_EQ(y[1], -3);
  // No inputs: zeros.
  TernaryGradWeights empty;
  pack_ternary_forward_weights(w, 2, 0, empty);
  ternary_forward_i8(q, 1, empty, y);
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 0);
}

// The rescaled forward gives scale_int32_sums' bits on the integer loop's
// sums (the training forward's y), at 1 and 2 threads, tokens off the grid.
TEST(TernaryForward, ScaledEqualsScaleInt32SumsOfExactSums) {
  Rng rng(31);
  const int64_t tokens = 100, out = 70, in = 300;
  std::vector<int8_t> q(size_t(tokens * in));
  for (int8_t& v : q) v = int8_t(rng.next_u64() % 255 - 127);
  const std::vector<int8_t> w = random_ternary(out * in, rng);
  std::vector<double> step(static_cast<size_t>(tokens));
  for (double& s : step) s = 0.001 + 0.01 * double(rng.next_u64() % 1000) / 1000.0;
  std::vector<int32_t> sums(size_t(tokens * out));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < out; ++o) {
      int32_t acc = 0;
      for (int64_t i = 0; i < in; ++i) acc += q[size_t(t * in + i)] * w[size_t(o * in + i)];
      sums[size_t(t * out + o)] = acc;
    }
  std::vector<float> want(size_t(tokens * out));
  scale_int32_sums(sums.data(), step.data(), tokens, nullptr, 0.0371, out, want.data());
  TernaryGradWeights packed;
  pack_ternary_forward_weights(w.data(), out, in, packed);
  for (int threads : {1, 2}) {
    ThreadPool::set_global_threads(threads);
    std::vector<float> y(want.size(), -1.0f);
    ternary_forward_i8_scaled(q.data(), tokens, packed, step.data(), 0.0371, y.data());
    for (size_t k = 0; k < y.size(); ++k)
      ASSERT_EQ(std::bit_cast<uint32_t>(y[k]), std::bit_cast<uint32_t>(want[k]))
          << "at " << k << ", threads " << threads;
  }
  ThreadPool::set_global_threads(int(std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace lowbit

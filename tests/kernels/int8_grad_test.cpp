// The AMX backward products (kernels/int8_grad) against double-precision
// loops over the same operands: shapes on and off the 16/32 tile grid, dy
// values over many binades (the three-part bf16 split must keep all 24
// bits: one bf16 part alone would be off by ~4e-3 relative), the weight
// gradient's accumulation into what dw held, and the same bits at 1 and 2
// threads. Skipped where the machine has no usable AMX.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/amx.hpp"
#include "kernels/int8_grad.hpp"

namespace lowbit {
namespace {

struct Case {
  int64_t tokens, out, in;
};
const Case kCases[] = {{64, 96, 128}, {45, 37, 70}, {128, 256, 768}, {1, 1, 1}, {33, 17, 16}, {200, 128, 256}};

std::vector<float> random_dy(int64_t n, Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = float(rng.normal()) * std::ldexp(1.0f, int(rng.next_u64() % 24) - 16);
  return v;
}

std::vector<int8_t> random_codes(int64_t n, int lo, int hi, Rng& rng) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (int8_t& x : v) x = int8_t(lo + int(rng.next_u64() % uint64_t(hi - lo + 1)));
  return v;
}

// |got - want| within f32 rounding of a sum of `terms` magnitudes `mag`.
void expect_close(double got, double want, double mag, int64_t terms, const char* what, int64_t at) {
  const double tol = double(terms + 2) * 6e-8 * mag + 1e-30;
  ASSERT_LE(std::fabs(got - want), tol) << what << " at " << at << ": " << got << " vs " << want;
}

class Int8Grad : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!amx_usable()) GTEST_SKIP() << "no usable AMX here";
  }
  void TearDown() override { ThreadPool::set_global_threads(int(std::thread::hardware_concurrency())); }
};

TEST_F(Int8Grad, InputGradMatchesDoubleLoops) {
  Rng rng(5);
  for (const Case& c : kCases) {
    const std::vector<float> dy = random_dy(c.tokens * c.out, rng);
    const std::vector<int8_t> w = random_codes(c.out * c.in, -1, 1, rng);
    const float scale = 0.0371f;
    Int8GradWeights packed;
    pack_int8_grad_weights(w.data(), c.out, c.in, packed);
    std::vector<float> dx(size_t(c.tokens * c.in), 99.0f);
    int8_input_grad(dy.data(), c.tokens, packed, scale, dx.data());
    for (int64_t t = 0; t < c.tokens; ++t)
      for (int64_t i = 0; i < c.in; ++i) {
        double want = 0, mag = 0;
        for (int64_t o = 0; o < c.out; ++o) {
          const double term = double(dy[size_t(t * c.out + o)]) * scale * w[size_t(o * c.in + i)];
          want += term, mag += std::fabs(term);
        }
        expect_close(dx[size_t(t * c.in + i)], want, mag, c.out, "dx", t * c.in + i);
      }
  }
}

TEST_F(Int8Grad, WeightGradAccumulatesAndMatchesDoubleLoops) {
  Rng rng(6);
  for (const Case& c : kCases) {
    const std::vector<float> dy = random_dy(c.tokens * c.out, rng);
    const std::vector<int8_t> q = random_codes(c.tokens * c.in, -127, 127, rng);
    std::vector<float> step(static_cast<size_t>(c.tokens));
    for (float& s : step) s = float(0.5 + rng.uniform()) / 127.0f;
    std::vector<float> dw(size_t(c.out * c.in));
    for (float& v : dw) v = float(rng.normal());
    const std::vector<float> before = dw;
    Int8GradCodes packed;
    pack_int8_grad_codes(q.data(), c.tokens, c.in, packed);
    int8_weight_grad(dy.data(), c.out, step.data(), packed, dw.data());
    for (int64_t o = 0; o < c.out; ++o)
      for (int64_t i = 0; i < c.in; ++i) {
        double want = 0, mag = 0;
        for (int64_t t = 0; t < c.tokens; ++t) {
          const double term = double(dy[size_t(t * c.out + o)]) * step[size_t(t)] * q[size_t(t * c.in + i)];
          want += term, mag += std::fabs(term);
        }
        const size_t k = size_t(o * c.in + i);
        expect_close(double(dw[k]) - before[k], want, mag + std::fabs(before[k]), c.tokens, "dw", int64_t(k));
      }
  }
}

TEST_F(Int8Grad, SameBitsAtAnyThreadCount) {
  Rng rng(7);
  const Case c{96, 160, 192};
  const std::vector<float> dy = random_dy(c.tokens * c.out, rng);
  const std::vector<int8_t> w = random_codes(c.out * c.in, -1, 1, rng);
  const std::vector<int8_t> q = random_codes(c.tokens * c.in, -127, 127, rng);
  const std::vector<float> step(size_t(c.tokens), 0.01f);
  std::vector<float> dx[2], dw[2];
  for (int threads : {1, 2}) {
    ThreadPool::set_global_threads(threads);
    Int8GradWeights pw;
    pack_int8_grad_weights(w.data(), c.out, c.in, pw);
    Int8GradCodes pq;
    pack_int8_grad_codes(q.data(), c.tokens, c.in, pq);
    std::vector<float>& x = dx[threads - 1];
    std::vector<float>& g = dw[threads - 1];
    x.assign(size_t(c.tokens * c.in), 0.0f);
    g.assign(size_t(c.out * c.in), 0.0f);
    int8_input_grad(dy.data(), c.tokens, pw, 1.0f, x.data());
    int8_weight_grad(dy.data(), c.out, step.data(), pq, g.data());
  }
  EXPECT_EQ(0, std::memcmp(dx[0].data(), dx[1].data(), dx[0].size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(dw[0].data(), dw[1].data(), dw[0].size() * sizeof(float)));
}

}  // namespace
}  // namespace lowbit

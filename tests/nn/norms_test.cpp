// LayerNorm / RMSNorm without affine: hand values, and the backward against
// central finite differences of the forward (in double, on small vectors).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "nn/norms.hpp"

using namespace lowbit;

TEST(Norms, LayerNormHand) {
  // mean 2.5, biased var 1.25
  const float x[4] = {1, 2, 3, 4};
  float y[4];
  layernorm_forward(x, 4, y);
  const double r = 1 / std::sqrt(1.25 + 1e-5);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], (x[i] - 2.5) * r, 1e-6) << i;
}

TEST(Norms, RmsNormHand) {
  // mean of squares (9 + 16) / 2 = 12.5
  const float x[2] = {3, 4};
  float y[2];
  subln_forward(x, 2, y);
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5 + 1e-5), 1e-6);
  EXPECT_NEAR(y[1], 4 / std::sqrt(12.5 + 1e-5), 1e-6);
}

TEST(Norms, ZeroRowIsFinite) {
  const float x[3] = {0, 0, 0};
  float y[3], dx[3];
  const float dy[3] = {1, 2, 3};
  layernorm_forward(x, 3, y);
  layernorm_backward(x, dy, 3, dx);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isfinite(y[i]) && std::isfinite(dx[i]));
  subln_forward(x, 3, y);
  subln_backward(x, dy, 3, dx);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isfinite(y[i]) && std::isfinite(dx[i]));
}

namespace {
using Fwd = std::function<void(const float*, int64_t, float*)>;
using Bwd = std::function<void(const float*, const float*, int64_t, float*)>;

// d/dx_i sum_j dy_j f(x)_j by central differences, against backward().
void check_backward(const Fwd& fwd, const Bwd& bwd) {
  Rng rng(11);
  const int64_t n = 9;
  std::vector<float> x(n), dy(n), dx(n), y(n);
  for (auto& v : x) v = rng.normal() + 0.3f;
  for (auto& v : dy) v = rng.normal();
  bwd(x.data(), dy.data(), n, dx.data());
  const float h = 1e-2f;
  for (int64_t i = 0; i < n; ++i) {
    auto loss = [&](float xi) {
      std::vector<float> xp = x;
      xp[size_t(i)] = xi;
      fwd(xp.data(), n, y.data());
      double l = 0;
      for (int64_t j = 0; j < n; ++j) l += double(dy[size_t(j)]) * y[size_t(j)];
      return l;
    };
    const double fd = (loss(x[size_t(i)] + h) - loss(x[size_t(i)] - h)) / (2 * h);
    EXPECT_NEAR(dx[size_t(i)], fd, 2e-3) << i;
  }
}
}  // namespace

TEST(Norms, LayerNormBackwardMatchesFiniteDifferences) {
  check_backward([](const float* x, int64_t n, float* y) { layernorm_forward(x, n, y); },
                 [](const float* x, const float* dy, int64_t n, float* dx) { layernorm_backward(x, dy, n, dx); });
}

TEST(Norms, RmsNormBackwardMatchesFiniteDifferences) {
  check_backward([](const float* x, int64_t n, float* y) { subln_forward(x, n, y); },
                 [](const float* x, const float* dy, int64_t n, float* dx) { subln_backward(x, dy, n, dx); });
}

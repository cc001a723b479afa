// HGRN-Bit's elementwise pieces (nn/hgrn_recurrence): the backward of each
// against central finite differences of its forward (the loss is a fixed
// random weighting of the outputs, summed in double), and the forward of
// the lower bounds and of the scan against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "nn/hgrn_recurrence.hpp"

namespace lowbit {
namespace {

std::vector<float> randn(size_t n, uint64_t seed, float scale = 1.0f) {
  Rng r(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(r.normal()) * scale;
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

// Checks grad against (loss(p + h) - loss(p - h)) / 2h for every element of p.
void expect_grad(std::vector<float>& p, const std::vector<float>& grad, const std::function<double()>& loss,
                 const char* what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(p.size(), grad.size());
  double worst = 0, scale = 1e-3;
  for (float g : grad) scale = std::max(scale, double(std::fabs(g)));
  for (size_t i = 0; i < p.size(); ++i) {
    const float keep = p[i], h = 1e-2f * std::max(1.0f, std::fabs(keep));
    p[i] = keep + h;
    const double up = loss();
    p[i] = keep - h;
    const double down = loss();
    p[i] = keep;
    const double fd = (up - down) / (2.0 * double(h));
    worst = std::max(worst, std::fabs(fd - double(grad[i])) / scale);
  }
  EXPECT_LT(worst, 2e-3);
}

TEST(HgrnRecurrence, LowerBoundsAreTheCumulativeSoftmaxOverLayers) {
  // One column, raw (0, ln 2, ln 3): softmax (1/6, 2/6, 3/6); out = (0, 2/6, 5/6).
  const float raw[3] = {0.0f, std::log(2.0f), std::log(3.0f)};
  float out[3];
  hgrn_lower_bounds(raw, 3, 1, out);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 2.0f / 6.0f);
  EXPECT_FLOAT_EQ(out[2], 5.0f / 6.0f);
}

TEST(HgrnRecurrence, ScanIsTheGatedRecurrence) {
  // h = f h + i from h0 = 1: 0.5 * 1 + 2 = 2.5, then 0.25 * 2.5 - 1 = -0.375.
  const float i[2] = {2.0f, -1.0f}, f[2] = {0.5f, 0.25f};
  float h = 1.0f, o[2];
  hgrn_scan(i, f, 2, 1, &h, o);
  EXPECT_FLOAT_EQ(o[0], 2.5f);
  EXPECT_FLOAT_EQ(o[1], -0.375f);
  EXPECT_FLOAT_EQ(h, -0.375f);
}

TEST(HgrnRecurrence, MixerBackwardMatchesFiniteDifferences) {
  const int64_t T = 5, E = 6;
  std::vector<float> iz = randn(T * E, 1), fz = randn(T * E, 2), lb(E), h0 = randn(E, 4, 0.5f), r = randn(T * E, 5);
  for (int64_t k = 0; k < E; ++k) lb[size_t(k)] = 0.1f * float(k + 1);
  auto forward = [&](std::vector<float>& o) {
    std::vector<float> i = iz, f = fz, h = h0;
    o.assign(size_t(T * E), 0.0f);
    hgrn_gates(i.data(), f.data(), lb.data(), T, E);
    hgrn_scan(i.data(), f.data(), T, E, h.data(), o.data());
  };
  auto loss = [&] {
    std::vector<float> o;
    forward(o);
    return dot(o, r);
  };
  std::vector<float> o, diz(size_t(T * E)), dfz(size_t(T * E)), dlb(size_t(E), 0.0f);
  forward(o);
  hgrn_mixer_backward(iz.data(), fz.data(), lb.data(), o.data(), h0.data(), r.data(), T, E, diz.data(), dfz.data(),
                      dlb.data());
  expect_grad(iz, diz, loss, "input gate");
  expect_grad(fz, dfz, loss, "forget gate");
  expect_grad(lb, dlb, loss, "lower bound");
}

TEST(HgrnRecurrence, LowerBoundsBackwardMatchesFiniteDifferences) {
  const int64_t L = 4, D = 3;
  std::vector<float> raw = randn(L * D, 7), r = randn(L * D, 8);
  auto loss = [&] {
    std::vector<float> out(size_t(L * D));
    hgrn_lower_bounds(raw.data(), L, D, out.data());
    return dot(out, r);
  };
  std::vector<float> draw(size_t(L * D));
  hgrn_lower_bounds_backward(raw.data(), r.data(), L, D, draw.data());
  expect_grad(raw, draw, loss, "raw lower bounds");
}

TEST(HgrnRecurrence, GatedNormAndSwigluBackwardMatchFiniteDifferences) {
  const int64_t T = 3, n = 8;
  std::vector<float> x = randn(T * n, 9), w = randn(n, 10), o = randn(T * n, 11), r = randn(T * n, 12);
  auto loss = [&] {
    std::vector<float> y(size_t(T * n));
    swish_gated_rms_norm(x.data(), w.data(), o.data(), T, n, 1e-6f, y.data());
    return dot(y, r);
  };
  std::vector<float> dx(size_t(T * n)), dw(size_t(n), 0.0f), d_o(size_t(T * n));
  swish_gated_rms_norm_backward(x.data(), w.data(), o.data(), r.data(), T, n, 1e-6f, dx.data(), dw.data(), d_o.data());
  expect_grad(x, dx, loss, "normalized operand");
  expect_grad(w, dw, loss, "norm weight");
  expect_grad(o, d_o, loss, "swish gate");

  const int64_t F = 5;
  std::vector<float> u = randn(T * 2 * F, 13), ru = randn(T * F, 14);
  auto loss_u = [&] {
    std::vector<float> y(size_t(T * F));
    swiglu_rows(u.data(), T, F, y.data());
    return dot(y, ru);
  };
  std::vector<float> du(size_t(T * 2 * F));
  swiglu_rows_backward(u.data(), ru.data(), T, F, du.data());
  expect_grad(u, du, loss_u, "swiglu");
}

}  // namespace
}  // namespace lowbit

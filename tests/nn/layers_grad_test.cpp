// STE backward. The STE is the exact gradient of a *surrogate* forward in
// which each quantizer is the identity plus a frozen offset:
//   s(x) = W_q . (Q(h(x0)) + pass * (h(x) - h(x0)))
// so d/dx sum(dy * s) at x0 = h'(x0)^T (pass * (W_q^T dy)). We check the
// layers' dx against central differences of that surrogate, built here from
// the quantizers and transforms directly (not from the layer).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.hpp"
#include "nn/float_linear.hpp"
#include "nn/linear_layer.hpp"
#include "nn/norms.hpp"
#include "quant/act_quant.hpp"
#include "quant/hadamard.hpp"
#include "quant/weight_quant.hpp"

using namespace lowbit;

namespace {

Tensor random_matrix(int64_t rows, int64_t cols, uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  Tensor t = Tensor::f32({rows, cols});
  for (float& v : t.span<float>()) v = scale * rng.normal();
  return t;
}

Tensor copy_of(const Tensor& t) {
  Tensor c = Tensor::f32(t.shape());
  std::copy(t.span<float>().begin(), t.span<float>().end(), c.data<float>());
  return c;
}

using Transform = std::function<void(const float*, int64_t, float*)>;
// The STE mask of the layer's quantizer on h.
using Mask = std::function<void(const float*, int64_t, uint8_t*)>;

// One token: compares the layer's dx with finite differences of the surrogate.
void check_surrogate(LinearType type, const LinearOptions& opt, const Transform& h, const Mask& mask,
                     const std::vector<float>& w_deq) {
  const int64_t in = 16, out = 6;
  const Tensor w = random_matrix(out, in, 51, 0.2f);
  auto layer = make_linear(type, copy_of(w), opt);
  Rng rng(52);
  std::vector<float> x(in), dy(out), dx(in);
  for (auto& v : x) v = rng.normal();
  for (auto& v : dy) v = rng.normal();
  layer->backward(x.data(), dy.data(), 1, dx.data(), nullptr);

  std::vector<float> h0(in);
  std::vector<uint8_t> pass(in);
  h(x.data(), in, h0.data());
  mask(h0.data(), in, pass.data());
  auto surrogate_loss = [&](const std::vector<float>& xp) {
    std::vector<float> hp(in);
    h(xp.data(), in, hp.data());
    double l = 0;  // only the x-dependent part of sum(dy * s(x))
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        l += double(dy[size_t(o)]) * w_deq[size_t(o * in + i)] * pass[size_t(i)] * (hp[size_t(i)] - h0[size_t(i)]);
    return l;
  };
  const float step = 1e-2f;
  for (int64_t i = 0; i < in; ++i) {
    std::vector<float> xp = x, xm = x;
    xp[size_t(i)] += step;
    xm[size_t(i)] -= step;
    const double fd = (surrogate_loss(xp) - surrogate_loss(xm)) / (2 * step);
    EXPECT_NEAR(dx[size_t(i)], fd, 2e-3 * (1 + std::fabs(fd))) << linear_type_name(type) << " " << i;
  }
}

std::vector<float> ternary_deq(const Tensor& w) {
  const TernaryWeights t = ternarize_absmean(w.data<float>(), w.numel());
  std::vector<float> d(t.q.size());
  for (size_t k = 0; k < d.size(); ++k) d[k] = t.q[k] * t.scale;
  return d;
}

}  // namespace

TEST(LayersGrad, BitLinearMatchesSurrogate) {
  const Tensor w = random_matrix(6, 16, 51, 0.2f);
  const BinaryWeights b = binarize_weights(w.data<float>(), 6, 16, 2);
  std::vector<float> deq(b.sign.size());
  for (int64_t o = 0; o < 6; ++o)
    for (int64_t i = 0; i < 16; ++i) deq[size_t(o * 16 + i)] = b.sign[size_t(o * 16 + i)] * b.beta_of_row(o);
  LinearOptions opt;
  opt.groups = 2;
  for (bool nonneg : {false, true}) {
    opt.nonneg = nonneg;
    check_surrogate(
        LinearType::BitLinear, opt, [](const float* x, int64_t n, float* y) { layernorm_forward(x, n, y); },
        [nonneg](const float* h, int64_t n, uint8_t* p) {
          std::vector<float> q(static_cast<size_t>(n));
          nonneg ? quant_absmax_shifted(h, n, 8, q.data(), p) : quant_absmax_signed(h, n, 8, q.data(), p);
        },
        deq);
  }
}

TEST(LayersGrad, BitLinear158SublnMatchesSurrogate) {
  LinearOptions opt;
  opt.subln = true;
  check_surrogate(
      LinearType::BitLinear158, opt, [](const float* x, int64_t n, float* y) { subln_forward(x, n, y); },
      [](const float* h, int64_t n, uint8_t* p) {
        std::vector<int8_t> q(static_cast<size_t>(n));
        quant_int8_absmax(h, n, q.data(), p);
      },
      ternary_deq(random_matrix(6, 16, 51, 0.2f)));
}

TEST(LayersGrad, HBitLinearMatchesSurrogate) {
  for (int act_bits : {8, 4}) {
    LinearOptions opt;
    opt.subln = true;
    opt.act_bits = act_bits;
    check_surrogate(
        LinearType::HBitLinear, opt,
        [](const float* x, int64_t n, float* y) {
          subln_forward(x, n, y);
          fwht(y, n);
        },
        [act_bits](const float* h, int64_t n, uint8_t* p) {
          std::vector<int8_t> q(static_cast<size_t>(n));
          act_bits == 4 ? quant_int4_absmean(h, n, q.data(), p) : quant_int8_absmax(h, n, q.data(), p);
        },
        ternary_deq(random_matrix(6, 16, 51, 0.2f)));
  }
}

TEST(LayersGrad, Int8BackwardIsFloatBackwardWithDequantizedWeight) {
  const Tensor w = random_matrix(5, 8, 61);
  const Int8RowWeights q = quantize_int8_rows(w.data<float>(), 5, 8);
  Tensor wd = Tensor::f32({5, 8});
  for (int64_t o = 0; o < 5; ++o)
    for (int64_t i = 0; i < 8; ++i) wd.data<float>()[o * 8 + i] = float(q.cb[size_t(o * 8 + i)] * q.scb[size_t(o)] / 127.0);
  auto l = make_linear(LinearType::Int8, copy_of(w));
  const Tensor x = random_matrix(3, 8, 62), dy = random_matrix(3, 5, 63);
  std::vector<float> dx(24), dw(40, 0.0f);
  l->backward(x.data<float>(), dy.data<float>(), 3, dx.data(), dw.data());
  // by hand: dx[t, i] = sum_o dy[t, o] wd[o, i]; dw[o, i] = sum_t dy[t, o] x[t, i]
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t i = 0; i < 8; ++i) {
      double s = 0;
      for (int64_t o = 0; o < 5; ++o) s += double(dy.data<float>()[t * 5 + o]) * wd.data<float>()[o * 8 + i];
      EXPECT_NEAR(dx[size_t(t * 8 + i)], s, 1e-5);
    }
  for (int64_t o = 0; o < 5; ++o)
    for (int64_t i = 0; i < 8; ++i) {
      double s = 0;
      for (int64_t t = 0; t < 3; ++t) s += double(dy.data<float>()[t * 5 + o]) * x.data<float>()[t * 8 + i];
      EXPECT_NEAR(dw[size_t(o * 8 + i)], s, 1e-5);
    }
}

TEST(LayersGrad, WeightGradientAccumulates) {
  const Tensor x = random_matrix(4, 16, 71), dy = random_matrix(4, 8, 72);
  for (LinearType type : {LinearType::BitLinear, LinearType::BitLinear158, LinearType::HBitLinear, LinearType::Int8}) {
    auto l = make_linear(type, random_matrix(8, 16, 73, 0.2f));
    std::vector<float> once(128, 0.0f), twice(128, 0.0f);
    l->backward(x.data<float>(), dy.data<float>(), 4, nullptr, once.data());
    l->backward(x.data<float>(), dy.data<float>(), 4, nullptr, twice.data());
    l->backward(x.data<float>(), dy.data<float>(), 4, nullptr, twice.data());
    bool nonzero = false;
    for (size_t k = 0; k < once.size(); ++k) {
      EXPECT_NEAR(twice[k], 2 * once[k], 1e-5) << linear_type_name(type);
      nonzero |= once[k] != 0;
    }
    EXPECT_TRUE(nonzero) << linear_type_name(type);
  }
}

TEST(LayersGrad, ClippedActivationsGetNoGradient) {
  // S1 shifted variant without LayerNorm, x = [0.5, -1, 0.3, 0.01]: entries
  // 0, 2 and 3 are clipped (see ActQuant.S1ShiftedHand), so dx is nonzero
  // only at entry 1.
  LinearOptions opt;
  opt.layernorm = false;
  opt.nonneg = true;
  auto l = make_linear(LinearType::BitLinear, random_matrix(3, 4, 81), opt);
  const float x[4] = {0.5f, -1.0f, 0.3f, 0.01f};
  const float dy[3] = {1.0f, -2.0f, 0.5f};
  float dx[4];
  l->backward(x, dy, 1, dx, nullptr);
  EXPECT_EQ(dx[0], 0.0f);
  EXPECT_NE(dx[1], 0.0f);
  EXPECT_EQ(dx[2], 0.0f);
  EXPECT_EQ(dx[3], 0.0f);
}

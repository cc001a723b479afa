// Layers on hand-sized inputs (expected values worked out in comments) and
// the properties of docs/MATH.md: scale invariance, groups, zero
// input, storage size.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/linear_layer.hpp"

using namespace lowbit;

namespace {

Tensor matrix(int64_t rows, int64_t cols, std::vector<float> v) {
  Tensor t = Tensor::f32({rows, cols});
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

Tensor random_matrix(int64_t rows, int64_t cols, uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  Tensor t = Tensor::f32({rows, cols});
  for (float& v : t.span<float>()) v = scale * rng.normal();
  return t;
}

std::vector<float> run(const LinearLayer& l, const float* x, int64_t tokens) {
  std::vector<float> y(size_t(tokens * l.out_features()));
  l.forward(x, tokens, y.data());
  return y;
}

const LinearType kQuantTypes[] = {LinearType::BitLinear, LinearType::BitLinear158, LinearType::HBitLinear,
                                  LinearType::Int8};

}  // namespace

TEST(LayersHand, BitLinearNoLayerNorm) {
  // W as in WeightQuant.BinarizeHand: alpha 0.1, beta 1.6/6, sign [[1,-1,1],[-1,-1,1]].
  // x = [0.5, -1, 0.3], gamma 1, Qb 128: x~ = [64, -(128 - eps), 38].
  // y0 = (64 + 128 - eps + 38) * beta / 128, y1 = (-64 + 128 - eps + 38) * beta / 128
  LinearOptions opt;
  opt.layernorm = false;
  auto l = make_linear(LinearType::BitLinear, matrix(2, 3, {0.3f, -0.1f, 0.2f, -0.4f, 0.0f, 0.6f}), opt);
  const float x[3] = {0.5f, -1.0f, 0.3f};
  const auto y = run(*l, x, 1);
  const double beta = 1.6 / 6, top = 128 - 1e-5;
  EXPECT_NEAR(y[0], (64 + top + 38) * beta / 128, 1e-6);
  EXPECT_NEAR(y[1], (-64 + top + 38) * beta / 128, 1e-6);
}

TEST(LayersHand, BitLinear158) {
  // W as in WeightQuant.TernaryHand: q [[1,0,1],[-1,0,1]], s = 0.325.
  // x = [4, -1, 0.3]: gamma 4, x_q = [127, -32, 10].
  // y0 = (127 + 10) * 0.325 * 4 / 127, y1 = (-127 + 10) * 0.325 * 4 / 127
  auto l = make_linear(LinearType::BitLinear158, matrix(2, 3, {0.45f, -0.05f, 0.2f, -0.9f, 0.0f, 0.35f}));
  const float x[3] = {4.0f, -1.0f, 0.3f};
  const auto y = run(*l, x, 1);
  EXPECT_NEAR(y[0], 137 * 0.325 * 4 / 127, 1e-6);
  EXPECT_NEAR(y[1], -117 * 0.325 * 4 / 127, 1e-6);
}

TEST(LayersHand, HBitLinearWidth2) {
  // W = [[0.45, -0.05], [-0.9, 0.35]]: s = 1.75 / 4 = 0.4375, q = [[1, 0], [-1, 1]].
  // x = [2, 1]: H x = [3, 1] / sqrt 2; gamma = 3 / sqrt 2; x_q = [127, 42.33 -> 42].
  // y0 = 127 * s * gamma / 127, y1 = (-127 + 42) * s * gamma / 127
  auto l = make_linear(LinearType::HBitLinear, matrix(2, 2, {0.45f, -0.05f, -0.9f, 0.35f}));
  const float x[2] = {2.0f, 1.0f};
  const auto y = run(*l, x, 1);
  const double gamma = 3 / std::sqrt(2.0);
  EXPECT_NEAR(y[0], 0.4375 * gamma, 1e-6);
  EXPECT_NEAR(y[1], -85 * 0.4375 * gamma / 127, 1e-6);
}

TEST(LayersHand, Int8Linear) {
  // The Int8Decompose.HandThreshold6 case through the layer.
  auto l = make_linear(LinearType::Int8, matrix(1, 3, {1.0f, 0.25f, -1.0f}));
  const float x[6] = {1.0f, 8.0f, -0.25f, 0.4f, 2.0f, 1.0f};
  const auto y = run(*l, x, 2);
  EXPECT_NEAR(y[0], (127.0 * 127 + 32 * 127) / (127.0 * 127) + 8 * 32 / 127.0, 1e-6);
  EXPECT_NEAR(y[1], (51.0 * 127 - 127 * 127) / (127.0 * 127) + 2 * 32 / 127.0, 1e-6);
}

TEST(LayersProperty, ScaleInvariance) {
  // absmax / absmean statistics scale with x, so y(c x) = c y(x) for c > 0;
  // c = 8 is exact in f32, so the quantized integers are identical.
  const Tensor x = random_matrix(3, 32, 5);
  std::vector<float> xs(x.span<float>().begin(), x.span<float>().end());
  for (float& v : xs) v *= 8.0f;
  for (LinearType type : {LinearType::BitLinear, LinearType::BitLinear158, LinearType::HBitLinear}) {
    for (int act_bits : {8, 4}) {
      LinearOptions opt;
      opt.layernorm = false;  // with LayerNorm it is trivially invariant; test the quantizer itself
      opt.act_bits = act_bits;
      auto l = make_linear(type, random_matrix(6, 32, 9, 0.1f), opt);
      const auto y = run(*l, x.data<float>(), 3), ys = run(*l, xs.data(), 3);
      for (size_t k = 0; k < y.size(); ++k)
        EXPECT_NEAR(ys[k], 8 * y[k], 1e-5 * (1 + std::fabs(8 * y[k]))) << linear_type_name(type) << " " << k;
    }
  }
}

TEST(LayersProperty, GroupsEqualStackedUngroupedLayers) {
  // G groups of rows = G independent G=1 layers on the row blocks, exactly
  // (activation statistics are per token, weight statistics per block).
  const int64_t out = 12, in = 16, tokens = 3;
  const Tensor w = random_matrix(out, in, 21, 0.2f);
  const Tensor x = random_matrix(tokens, in, 22);
  for (int groups : {1, 2, 3}) {
    LinearOptions opt;
    opt.groups = groups;
    Tensor wc = Tensor::f32({out, in});
    std::copy(w.span<float>().begin(), w.span<float>().end(), wc.data<float>());
    auto grouped = make_linear(LinearType::BitLinear, std::move(wc), opt);
    const auto y = run(*grouped, x.data<float>(), tokens);
    const int64_t rows = out / groups;
    for (int g = 0; g < groups; ++g) {
      Tensor wg = Tensor::f32({rows, in});
      std::copy(w.data<float>() + g * rows * in, w.data<float>() + (g + 1) * rows * in, wg.data<float>());
      auto part = make_linear(LinearType::BitLinear, std::move(wg));
      const auto yg = run(*part, x.data<float>(), tokens);
      for (int64_t t = 0; t < tokens; ++t)
        for (int64_t o = 0; o < rows; ++o)
          EXPECT_EQ(y[size_t(t * out + g * rows + o)], yg[size_t(t * rows + o)]) << groups << " " << g;
    }
  }
}

TEST(LayersProperty, GroupsChangeTheResultWhenBlocksDiffer) {
  // Guard for the test above: with rows of very different scales, G=2 must
  // differ from G=1 (else the groups would be ignored).
  Tensor w = random_matrix(4, 8, 31, 0.1f);
  for (int64_t k = 16; k < 32; ++k) w.data<float>()[k] = 10.0f * w.data<float>()[k] + 0.5f;
  Tensor w2 = Tensor::f32({4, 8});
  std::copy(w.span<float>().begin(), w.span<float>().end(), w2.data<float>());
  LinearOptions opt;
  opt.groups = 2;
  auto g1 = make_linear(LinearType::BitLinear, std::move(w));
  auto g2 = make_linear(LinearType::BitLinear, std::move(w2), opt);
  const Tensor x = random_matrix(1, 8, 32);
  EXPECT_NE(run(*g1, x.data<float>(), 1), run(*g2, x.data<float>(), 1));
}

TEST(LayersProperty, ZeroInputGivesZeroOutput) {
  std::vector<float> x(2 * 16, 0.0f);
  for (LinearType type : kQuantTypes)
    for (bool variant : {false, true}) {
      LinearOptions opt;
      opt.nonneg = variant;
      opt.subln = variant;
      opt.act_bits = variant ? 4 : 8;
      auto l = make_linear(type, random_matrix(5, 16, 41), opt);
      for (float v : run(*l, x.data(), 2)) EXPECT_EQ(v, 0.0f) << linear_type_name(type) << " " << variant;
    }
}

TEST(LayersProperty, WeightBytes) {
  LinearOptions opt;
  opt.groups = 4;
  // 256 x 512: binary 16384 bytes + 4 betas; ternary 32768 + 1 scale; int8 131072 + 256 SCB
  EXPECT_EQ(make_linear(LinearType::BitLinear, random_matrix(256, 512, 1), opt)->weight_bytes(), 16384u + 16);
  EXPECT_EQ(make_linear(LinearType::BitLinear158, random_matrix(256, 512, 1))->weight_bytes(), 32768u + 4);
  EXPECT_EQ(make_linear(LinearType::HBitLinear, random_matrix(256, 512, 1))->weight_bytes(), 32768u + 4);
  EXPECT_EQ(make_linear(LinearType::Int8, random_matrix(256, 512, 1))->weight_bytes(), 131072u + 1024);
  EXPECT_EQ(make_linear(LinearType::Float, random_matrix(256, 512, 1))->weight_bytes(), 524288u);
}

TEST(LayersProperty, BadOptionsAreRejected) {
  LinearOptions opt;
  opt.groups = 3;  // does not divide 4 rows
  EXPECT_THROW(make_linear(LinearType::BitLinear, random_matrix(4, 8, 1), opt), Error);
  opt = {};
  opt.bits = 1;
  EXPECT_THROW(make_linear(LinearType::BitLinear, random_matrix(4, 8, 1), opt), Error);
  opt = {};
  opt.act_bits = 5;
  EXPECT_THROW(make_linear(LinearType::HBitLinear, random_matrix(4, 8, 1), opt), Error);
  opt = {};
  opt.threshold = -1;
  EXPECT_THROW(make_linear(LinearType::Int8, random_matrix(4, 8, 1), opt), Error);
  EXPECT_THROW(parse_linear_type("bitlinear2"), Error);
}

// The layers that call the A8 kernels: their forward equals a plain double
// loop over the same quantized values bit for bit (the integer sums are
// exact on both sides, so every ISA must give identical floats).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/rng.hpp"
#include "nn/bit_linear.hpp"
#include "nn/int8_linear.hpp"
#include "quant/act_quant.hpp"
#include "quant/int8_decompose.hpp"

using namespace lowbit;

namespace {

Tensor random_weights(Rng& rng, int64_t out, int64_t in) {
  Tensor w = Tensor::f32({out, in});
  for (int64_t i = 0; i < out * in; ++i) w.data<float>()[i] = rng.normal() * 0.05f;
  return w;
}

std::vector<float> random_x(Rng& rng, int64_t n, int64_t in, bool outliers) {
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = rng.normal();
  if (outliers)  // two columns far past the threshold in one token each
    x[size_t(3)] = 25.0f, x[size_t(in + 17)] = -40.0f;
  return x;
}

}  // namespace

TEST(A8Wiring, BitLinearForwardEqualsDoubleLoop) {
  Rng rng(11);
  const int64_t out = 36, in = 300, T = 5;
  for (int bits : {8, 4, 2})
    for (int groups : {1, 3}) {
      LinearOptions opt;
      opt.bits = bits, opt.groups = groups, opt.layernorm = false;
      BitLinear layer(random_weights(rng, out, in), opt);
      const auto x = random_x(rng, T * in, in, false);
      std::vector<float> y(static_cast<size_t>(T * out));
      layer.forward(x.data(), T, y.data());
      const BinaryWeights& wq = layer.quantized();
      std::vector<float> q(static_cast<size_t>(in));
      for (int64_t t = 0; t < T; ++t) {
        const ActQuantResult r = quant_absmax_signed(x.data() + t * in, in, bits, q.data());
        for (int64_t o = 0; o < out; ++o) {
          double acc = 0;
          for (int64_t k = 0; k < in; ++k) acc += double(wq.sign[size_t(o * in + k)]) * double(q[size_t(k)]);
          const float ref = float(acc * double(wq.beta_of_row(o)) * r.step);
          ASSERT_EQ(y[size_t(t * out + o)], ref) << "bits " << bits << " groups " << groups << " t " << t << " o " << o;
        }
      }
    }
}

TEST(A8Wiring, Int8LinearForwardEqualsDoubleLoop) {
  Rng rng(12);
  const int64_t out = 37, in = 300, T = 4;
  for (float threshold : {0.0f, 6.0f}) {
    LinearOptions opt;
    opt.threshold = threshold;
    Int8Linear layer(random_weights(rng, out, in), opt);
    const auto x = random_x(rng, T * in, in, true);
    std::vector<float> y(static_cast<size_t>(T * out));
    layer.forward(x.data(), T, y.data());
    const Int8RowWeights& w = layer.quantized();
    const auto outlier = outlier_columns(x.data(), T, in, threshold);
    EXPECT_EQ(outlier[3] + outlier[17], threshold > 0 ? 2 : 0);
    std::vector<int8_t> x8(static_cast<size_t>(T * in));
    std::vector<float> cx(static_cast<size_t>(T));
    int8_quantize_tokens(x.data(), T, in, outlier, x8.data(), cx.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t o = 0; o < out; ++o) {
        int64_t acc = 0;
        for (int64_t k = 0; k < in; ++k) acc += int64_t(w.cb[size_t(o * in + k)]) * x8[size_t(t * in + k)];
        const double cw = w.scb[size_t(o)];
        const double y8 = double(acc) * double(cx[size_t(t)]) * cw / (127.0 * 127.0);
        double yf = 0;
        for (int64_t k = 0; k < in; ++k)
          if (outlier[size_t(k)]) yf += double(x[size_t(t * in + k)]) * (double(w.cb[size_t(o * in + k)]) * cw / 127.0);
        ASSERT_EQ(y[size_t(t * out + o)], float(y8 + yf)) << "threshold " << threshold << " t " << t << " o " << o;
      }
  }
}

// Every layer against tests/reference/layers_ref.py (an independent NumPy
// implementation): forward y, and the STE backward dx, dw for a given dy.
// The reference picks tie-free data, so the integer intermediates agree
// exactly; what remains is f32 rounding of the outputs (tolerance below,
// relative to the largest magnitude of each output).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "io/npy.hpp"
#include "nn/linear_layer.hpp"

using namespace lowbit;

namespace {

Tensor golden(const std::string& name, const std::string& part) {
  return npy_load(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/layers_" + name + "_" + part + ".npy");
}

void expect_close(const float* got, const Tensor& want, double rel, const std::string& what) {
  double scale = 0;
  for (float v : want.span<float>()) scale = std::max(scale, double(std::fabs(v)));
  for (int64_t k = 0; k < want.numel(); ++k)
    ASSERT_NEAR(got[k], want.data<float>()[k], rel * scale + 1e-7) << what << " at " << k;
}

void check_case(const std::string& name, LinearType type, const LinearOptions& opt) {
  Tensor w = golden(name, "w");
  const Tensor x = golden(name, "x"), y = golden(name, "y"), dy = golden(name, "dy"), dx = golden(name, "dx"),
               dw = golden(name, "dw");
  const int64_t tokens = x.shape()[0], in = x.shape()[1], out = w.shape()[0];
  ASSERT_EQ(y.shape(), (Shape{tokens, out}));
  auto layer = make_linear(type, std::move(w), opt);
  std::vector<float> got_y(size_t(tokens * out)), got_dx(size_t(tokens * in)), got_dw(size_t(out * in), 0.0f);
  layer->forward(x.data<float>(), tokens, got_y.data());
  expect_close(got_y.data(), y, 1e-5, name + " y");
  layer->backward(x.data<float>(), dy.data<float>(), tokens, got_dx.data(), got_dw.data());
  expect_close(got_dx.data(), dx, 1e-5, name + " dx");
  expect_close(got_dw.data(), dw, 1e-5, name + " dw");
}

LinearOptions with(auto&& set) {
  LinearOptions o;
  set(o);
  return o;
}

}  // namespace

TEST(LayersGolden, BitLinearG1) { check_case("bitlinear_g1", LinearType::BitLinear, {}); }
TEST(LayersGolden, BitLinearG2Bits4) {
  check_case("bitlinear_g2_b4", LinearType::BitLinear, with([](LinearOptions& o) { o.groups = 2, o.bits = 4; }));
}
TEST(LayersGolden, BitLinearNonneg) {
  check_case("bitlinear_nonneg", LinearType::BitLinear, with([](LinearOptions& o) { o.nonneg = true; }));
}
TEST(LayersGolden, BitLinear158) { check_case("bitlinear158", LinearType::BitLinear158, {}); }
TEST(LayersGolden, BitLinear158Subln) {
  check_case("bitlinear158_subln", LinearType::BitLinear158, with([](LinearOptions& o) { o.subln = true; }));
}
TEST(LayersGolden, HBitLinearA8) { check_case("hbitlinear_a8", LinearType::HBitLinear, {}); }
TEST(LayersGolden, HBitLinearA4Subln) {
  check_case("hbitlinear_a4_subln", LinearType::HBitLinear,
             with([](LinearOptions& o) { o.act_bits = 4, o.subln = true; }));
}
TEST(LayersGolden, HBitLinearA4Width24) {
  check_case("hbitlinear_a4_in24", LinearType::HBitLinear, with([](LinearOptions& o) { o.act_bits = 4; }));
}
TEST(LayersGolden, Int8Threshold0) {
  check_case("int8_t0", LinearType::Int8, with([](LinearOptions& o) { o.threshold = 0; }));
}
TEST(LayersGolden, Int8Threshold6PlantedOutliers) { check_case("int8_t6", LinearType::Int8, {}); }

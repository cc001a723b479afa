// The normalized FWHT: hand values, the block rule, orthonormality, and the
// dense Sylvester matrices of tests/reference/layers_ref.py.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/npy.hpp"
#include "quant/hadamard.hpp"

using namespace lowbit;

TEST(Hadamard, BlockIsLargestPowerOfTwoDividingWidth) {
  EXPECT_EQ(hadamard_block(16), 16);
  EXPECT_EQ(hadamard_block(24), 8);
  EXPECT_EQ(hadamard_block(2560), 512);
  EXPECT_EQ(hadamard_block(6912), 256);
  EXPECT_EQ(hadamard_block(7), 1);
}

TEST(Hadamard, Hand) {
  // H4 = [[1,1,1,1],[1,-1,1,-1],[1,1,-1,-1],[1,-1,-1,1]] / 2
  float x[4] = {1, 2, 3, 4};
  fwht(x, 4);
  EXPECT_FLOAT_EQ(x[0], 5.0f);
  EXPECT_FLOAT_EQ(x[1], -1.0f);
  EXPECT_FLOAT_EQ(x[2], -2.0f);
  EXPECT_NEAR(x[3], 0.0f, 1e-7);
  // width 6 = 3 blocks of 2: H2 = [[1,1],[1,-1]] / sqrt 2 on each pair
  float y[6] = {1, 1, 3, 1, 0, 2};
  fwht(y, 6);
  const float r2 = std::sqrt(2.0f);
  const float want[6] = {r2, 0, 2 * r2, r2, r2, -r2};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y[i], want[i], 1e-6) << i;
  // odd width: identity
  float z[3] = {1, 2, 3};
  fwht(z, 3);
  EXPECT_EQ(z[2], 3.0f);
}

TEST(Hadamard, TwiceIsIdentityAndNormIsPreserved) {
  Rng rng(7);
  for (int64_t n : {8, 24, 2560}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = rng.normal();
    std::vector<float> y = x;
    fwht(y.data(), n);
    double nx = 0, ny = 0;
    for (int64_t i = 0; i < n; ++i) {
      nx += double(x[size_t(i)]) * x[size_t(i)];
      ny += double(y[size_t(i)]) * y[size_t(i)];
    }
    EXPECT_NEAR(ny, nx, 1e-5 * nx) << n;
    fwht(y.data(), n);
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[size_t(i)], x[size_t(i)], 1e-5) << n << " " << i;
  }
}

TEST(Hadamard, MatchesDenseNumpyMatrix) {
  // layers_ref.py builds the block-diagonal Sylvester matrix with np.block
  // and multiplies; tolerance: f32 rounding of a few adds.
  for (int n : {16, 24, 12}) {
    const std::string base = std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/layers_fwht_" + std::to_string(n);
    Tensor x = npy_load(base + "_x.npy");
    const Tensor y = npy_load(base + "_y.npy");
    ASSERT_EQ(x.shape(), y.shape());
    const int64_t rows = x.shape()[0];
    for (int64_t r = 0; r < rows; ++r) fwht(x.data<float>() + r * n, n);
    for (int64_t k = 0; k < x.numel(); ++k) EXPECT_NEAR(x.data<float>()[k], y.data<float>()[k], 1e-6) << n << " " << k;
  }
}

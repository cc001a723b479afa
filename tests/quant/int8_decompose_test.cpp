// LLM.int8 decomposition: a hand case, threshold 0, and the float path of
// a planted outlier column.
#include <gtest/gtest.h>

#include <vector>

#include "core/rng.hpp"
#include "quant/int8_decompose.hpp"

using namespace lowbit;

namespace {
// X = [[1, 8, -0.25], [0.4, 2, 1]], W = [[1, 0.25, -1]]: SCB = 1, CB = [127, 32, -127]
const float kX[6] = {1.0f, 8.0f, -0.25f, 0.4f, 2.0f, 1.0f};
const float kW[3] = {1.0f, 0.25f, -1.0f};
}  // namespace

TEST(Int8Decompose, OutlierColumns) {
  EXPECT_EQ(outlier_columns(kX, 2, 3, 6.0f), (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(outlier_columns(kX, 2, 3, 8.0f), (std::vector<uint8_t>{0, 1, 0}));  // >= threshold
  EXPECT_EQ(outlier_columns(kX, 2, 3, 8.5f), (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(outlier_columns(kX, 2, 3, 0.0f), (std::vector<uint8_t>{0, 0, 0}));  // 0 = off
}

TEST(Int8Decompose, HandThreshold6) {
  const Int8RowWeights w = quantize_int8_rows(kW, 1, 3);
  ASSERT_EQ(w.cb, (std::vector<int8_t>{127, 32, -127}));
  float y[2];
  int8_mixed_matmul(kX, 2, w, 6.0f, y);
  // token 0: cx = 1, X8 = [127, -, -31.75 -> -32]; Y8 = (127*127 + 32*127) / 127^2;
  //          Yf = 8 * 32 / 127
  EXPECT_NEAR(y[0], (127.0 * 127 + 32 * 127) / (127.0 * 127) + 8 * 32 / 127.0, 1e-6);
  // token 1: cx = 1, X8 = [50.8 -> 51, -, 127]; Y8 = (51*127 - 127*127) / 127^2; Yf = 2 * 32 / 127
  EXPECT_NEAR(y[1], (51.0 * 127 - 127 * 127) / (127.0 * 127) + 2 * 32 / 127.0, 1e-6);
}

TEST(Int8Decompose, HandThreshold0) {
  const Int8RowWeights w = quantize_int8_rows(kW, 1, 3);
  float y[2];
  int8_mixed_matmul(kX, 2, w, 0.0f, y);
  // token 0: cx = 8, X8 = [15.875 -> 16, 127, -3.97 -> -4]
  EXPECT_NEAR(y[0], (16.0 * 127 + 127 * 32 + 4 * 127) * 8 / (127.0 * 127), 1e-6);
  // token 1: cx = 2, X8 = [25.4 -> 25, 127, 63.5 -> 64]
  EXPECT_NEAR(y[1], (25.0 * 127 + 127 * 32 - 64 * 127) * 2 / (127.0 * 127), 1e-6);
}

TEST(Int8Decompose, OutlierColumnGoesThroughFloatExactly) {
  // Zeroing the outlier column leaves the int8 part unchanged (cx never saw
  // it), so the difference is exactly that column's float product.
  Rng rng(3);
  const int64_t t = 5, in = 12, out = 7, col = 4;
  std::vector<float> x(size_t(t * in)), w(size_t(out * in));
  for (float& v : x) v = rng.normal();
  for (float& v : w) v = rng.uniform(-0.5f, 0.5f);
  for (int64_t r = 0; r < t; ++r) x[size_t(r * in + col)] = 0;
  x[size_t(2 * in + col)] = 9.0f;  // one token above the threshold
  x[size_t(4 * in + col)] = -0.5f;
  const Int8RowWeights wq = quantize_int8_rows(w.data(), out, in);
  std::vector<float> y(size_t(t * out)), y0(size_t(t * out));
  int8_mixed_matmul(x.data(), t, wq, 6.0f, y.data());
  std::vector<float> x0 = x;
  for (int64_t r = 0; r < t; ++r) x0[size_t(r * in + col)] = 0;
  int8_mixed_matmul(x0.data(), t, wq, 6.0f, y0.data());
  for (int64_t r = 0; r < t; ++r)
    for (int64_t o = 0; o < out; ++o) {
      const double wdeq = double(wq.cb[size_t(o * in + col)]) * wq.scb[size_t(o)] / 127.0;
      EXPECT_NEAR(y[size_t(r * out + o)] - y0[size_t(r * out + o)], x[size_t(r * in + col)] * wdeq, 1e-5)
          << r << " " << o;
    }
}

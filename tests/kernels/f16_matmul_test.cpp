// The f16 weight kernel against a double-precision loop over the same
// (exactly converted) f16 values, with ragged rows and columns.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/half.hpp"
#include "core/rng.hpp"
#include "kernels/f16_matmul.hpp"

namespace lowbit {
namespace {

TEST(F16Matmul, MatchesDoubleLoop) {
  Rng rng(5);
  for (auto [rows, cols, T] : {std::tuple{1, 1, 1}, {7, 13, 2}, {67, 2560, 1}, {130, 33, 3}}) {
    std::vector<uint16_t> w(size_t(rows * cols));
    std::vector<float> x(size_t(T * cols)), y(size_t(T * rows));
    for (auto& v : w) v = f32_to_fp16(float(rng.normal()));
    for (auto& v : x) v = float(rng.normal());
    f16_matmul(w.data(), rows, cols, x.data(), T, y.data());
    for (int t = 0; t < T; ++t)
      for (int r = 0; r < rows; ++r) {
        double want = 0;
        for (int i = 0; i < cols; ++i) want += double(fp16_to_f32(w[size_t(r * cols + i)])) * x[size_t(t * cols + i)];
        ASSERT_NEAR(y[size_t(t * rows + r)], want, 1e-4 * std::sqrt(double(cols))) << rows << "x" << cols << " t" << t;
      }
  }
}

}  // namespace
}  // namespace lowbit

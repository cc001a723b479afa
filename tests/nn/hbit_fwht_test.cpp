// H-BitLinear's forward runs the f32 SIMD Walsh-Hadamard transform
// (kernels/fwht.hpp) where it used to run quant/hadamard.hpp's double one.
// How much that changes: the transformed values differ by f32 rounding
// (bounded in kernels' fwht_test), so a quantized activation moves only
// where a value lands within that error of a rounding boundary. This test
// measures it on BitNet 2B4T widths and holds it to a bound; the NumPy
// golden cases of layers_golden_test see no change at their 1e-5 tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/rng.hpp"
#include "kernels/fwht.hpp"
#include "quant/act_quant.hpp"
#include "quant/hadamard.hpp"

using namespace lowbit;

TEST(HBitLinearFwht, F32TransformMovesAlmostNoQuantizedActivation) {
  Rng rng(31);
  for (int64_t n : {2560, 6912}) {
    const int64_t tokens = 64;
    int64_t moved4 = 0, moved8 = 0, over_one = 0;
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> x(static_cast<size_t>(n));
      for (auto& v : x) v = float(rng.normal());
      std::vector<float> hd = x, hf = x;
      fwht(hd.data(), n);
      fwht_f32(hf.data(), n);
      std::vector<int8_t> qd(static_cast<size_t>(n)), qf(qd.size());
      quant_int4_absmean(hd.data(), n, qd.data());
      quant_int4_absmean(hf.data(), n, qf.data());
      for (size_t i = 0; i < qd.size(); ++i) {
        moved4 += qd[i] != qf[i];
        over_one += std::abs(qd[i] - qf[i]) > 1;
      }
      quant_int8_absmax(hd.data(), n, qd.data());
      quant_int8_absmax(hf.data(), n, qf.data());
      for (size_t i = 0; i < qd.size(); ++i) {
        moved8 += qd[i] != qf[i];
        over_one += std::abs(qd[i] - qf[i]) > 1;
      }
    }
    const double total = double(tokens * n);
    std::printf("n=%lld: int4 codes moved %lld of %.0f (%.2e), int8 %lld (%.2e)\n", static_cast<long long>(n),
                static_cast<long long>(moved4), total, double(moved4) / total, static_cast<long long>(moved8),
                double(moved8) / total);
    EXPECT_EQ(over_one, 0) << "a code moved by more than one step";
    EXPECT_LE(double(moved4) / total, 1e-5);
    EXPECT_LE(double(moved8) / total, 1e-4);
  }
}

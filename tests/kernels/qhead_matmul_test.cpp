// The q-head GEMVs (kernels/qhead_matmul.hpp) of every ISA this host runs:
// against NumPy's float64 dot of its own dequantized Q8_0/Q4_0/Q6_K rows
// (tests/reference/formats_ref.py: blocks from NumPy's encoders, so neither
// the C++ quantizer nor decoder is in the loop), and on wide random rows
// against a double loop over the registry's to_float (checked bit-exact
// against NumPy in tests/formats).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "formats/format.hpp"
#include "io/file_util.hpp"
#include "kernels/qhead_matmul.hpp"

namespace lowbit {
namespace {

std::string golden(const std::string& name) {
  return read_file(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/" + name);
}
std::vector<float> as_f32(const std::string& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

const Format kHeads[] = {Format::Q8_0, Format::Q6_K, Format::Q4_0};

TEST(QHeadMatmul, EveryIsaMatchesNumPy) {
  for (Format f : kHeads) {
    const std::string name(format_traits(f).name);
    const std::string w = golden("formats_head_" + name + "_w.bin");
    const auto x = as_f32(golden("formats_head_" + name + "_x.f32"));
    const auto want = as_f32(golden("formats_head_" + name + "_y.f32"));
    const int64_t T = 2, rows = int64_t(want.size()) / T, cols = int64_t(x.size()) / T;
    ASSERT_EQ(int64_t(w.size()), rows * format_bytes(format_traits(f), cols)) << name;
    double xnorm = 0;
    for (float v : x) xnorm = std::max(xnorm, double(std::fabs(v)));
    for (Isa isa : all_isas()) {
      const QHeadKernels* k = qhead_kernels_for(isa);
      if (!k || !k->for_format(f)) continue;
      std::vector<float> y(want.size(), -1.0f);
      k->for_format(f)(reinterpret_cast<const uint8_t*>(w.data()), format_bytes(format_traits(f), cols), 0, rows, cols,
                       x.data(), T, y.data(), rows);
      for (size_t i = 0; i < y.size(); ++i)
        ASSERT_NEAR(y[i], want[i], 1e-5 * xnorm * std::sqrt(double(cols))) << name << " " << isa_name(isa) << " " << i;
    }
    std::vector<float> y(want.size());
    qhead_matmul(f, reinterpret_cast<const uint8_t*>(w.data()), rows, cols, x.data(), T, y.data());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-5 * xnorm * std::sqrt(double(cols))) << name;
  }
}

TEST(QHeadMatmul, WideRowsMatchDoubleLoopOverToFloat) {
  Rng rng(21);
  for (Format f : kHeads) {
    const FormatTraits& ft = format_traits(f);
    for (auto [rows, cols, T] : {std::tuple<int64_t, int64_t, int64_t>{1, 256, 1}, {67, 2560, 1}, {130, 512, 3}}) {
      std::vector<float> src(size_t(rows * cols)), x(size_t(T * cols)), deq(src.size());
      for (auto& v : src) v = float(rng.normal()) * 0.05f;
      for (auto& v : x) v = float(rng.normal());
      std::vector<uint8_t> w(size_t(format_bytes(ft, int64_t(src.size()))));
      ft.from_float(src.data(), w.data(), int64_t(src.size()));
      ft.to_float(w.data(), deq.data(), int64_t(src.size()));
      for (Isa isa : all_isas()) {
        const QHeadKernels* k = qhead_kernels_for(isa);
        if (!k) continue;
        std::vector<float> y(size_t(T * rows));
        k->for_format(f)(w.data(), format_bytes(ft, cols), 0, rows, cols, x.data(), T, y.data(), rows);
        for (int64_t t = 0; t < T; ++t)
          for (int64_t r = 0; r < rows; ++r) {
            double want = 0;
            for (int64_t i = 0; i < cols; ++i) want += double(deq[size_t(r * cols + i)]) * x[size_t(t * cols + i)];
            ASSERT_NEAR(y[size_t(t * rows + r)], want, 1e-5 * std::sqrt(double(cols)))
                << ft.name << " " << isa_name(isa) << " " << rows << "x" << cols << " t" << t << " r" << r;
          }
      }
    }
  }
}

}  // namespace
}  // namespace lowbit

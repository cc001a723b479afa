// The q-head GEMVs (kernels/qhead_matmul.hpp) of every ISA this host runs,
// against NumPy (tests/reference/formats_ref.py: weight blocks from NumPy's
// encoders, and for Q8_0/Q4_0 x's Q8_0 blocks too, so neither C++ quantizer
// is in the loop): Q6_K (f32 activations) against the float64 dot of its
// dequantized rows, Q8_0/Q4_0 (int8 activations) against ggml's vec_dot
// sum of d_w d_x times the integer dot. Then wide random rows against a
// double loop over the registry's to_float (checked against NumPy in
// tests/formats) and, for the int8 kernels, q8_0_from_float's activations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/half.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "formats/format.hpp"
#include "formats/kquant_formats.hpp"
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

// One ISA's kernel for format f on rows [0, rows): x f32 [T, cols], xq its Q8_0 blocks.
void run_rows(const QHeadKernels& k, Format f, const uint8_t* w, int64_t rows, int64_t cols, const float* x,
              const uint8_t* xq, int64_t T, float* y) {
  const int64_t rb = format_bytes(format_traits(f), cols);
  if (f == Format::Q6_K) {
    k.q6_k(w, rb, 0, rows, cols, x, T, y, rows);
    return;
  }
  QHeadActs acts;
  acts.assign(f, xq, T, cols);
  (f == Format::Q8_0 ? k.q8_0 : k.q4_0)(w, rb, 0, rows, cols, acts, T, y, rows);
}

TEST(QHeadMatmul, EveryIsaMatchesNumPy) {
  for (Format f : kHeads) {
    const std::string name(format_traits(f).name);
    const std::string w = golden("formats_head_" + name + "_w.bin");
    const auto x = as_f32(golden("formats_head_" + name + "_x.f32"));
    const std::string xq = f == Format::Q6_K ? std::string() : golden("formats_head_" + name + "_xq.bin");
    const auto want = as_f32(golden("formats_head_" + name + "_y.f32"));
    const int64_t T = 2, rows = int64_t(want.size()) / T, cols = int64_t(x.size()) / T;
    ASSERT_EQ(int64_t(w.size()), rows * format_bytes(format_traits(f), cols)) << name;
    EXPECT_EQ(qhead_int8_activations(f), f != Format::Q6_K);
    double xnorm = 0;
    for (float v : x) xnorm = std::max(xnorm, double(std::fabs(v)));
    const double tol = 1e-5 * xnorm * std::sqrt(double(cols));
    for (Isa isa : all_isas()) {
      const QHeadKernels* k = qhead_kernels_for(isa);
      if (!k) continue;
      std::vector<float> y(want.size(), -1.0f);
      run_rows(*k, f, reinterpret_cast<const uint8_t*>(w.data()), rows, cols, x.data(),
               reinterpret_cast<const uint8_t*>(xq.data()), T, y.data());
      for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], tol) << name << " " << isa_name(isa) << " " << i;
    }
    // The threaded entry point quantizes x itself.
    std::vector<float> y(want.size());
    qhead_matmul(f, reinterpret_cast<const uint8_t*>(w.data()), rows, cols, x.data(), T, y.data());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], tol) << name;
  }
}

TEST(QHeadMatmul, WideRowsMatchDoubleLoopOverToFloat) {
  Rng rng(21);
  for (Format f : kHeads) {
    const FormatTraits& ft = format_traits(f);
    // 352 and 96 columns (11 and 3 blocks: Q4_0's tails after groups of 8
    // blocks, a lone pair and an odd block) only for the 32-column formats.
    for (auto [rows, cols, T] :
         {std::tuple<int64_t, int64_t, int64_t>{1, 256, 1}, {67, 2560, 1}, {130, 512, 3}, {5, 352, 2}, {3, 96, 1}}) {
      if (cols % ft.block_elems != 0) continue;
      std::vector<float> src(size_t(rows * cols)), x(size_t(T * cols)), deq(src.size()), xd(x.size());
      for (auto& v : src) v = float(rng.normal()) * 0.05f;
      for (auto& v : x) v = float(rng.normal());
      std::vector<uint8_t> w(size_t(format_bytes(ft, int64_t(src.size())))),
          xq(size_t(format_bytes(format_traits(Format::Q8_0), T * cols)));
      ft.from_float(src.data(), w.data(), int64_t(src.size()));
      ft.to_float(w.data(), deq.data(), int64_t(src.size()));
      q8_0_from_float(x.data(), xq.data(), T * cols);
      // The int8 kernels see x as its Q8_0 values.
      if (f == Format::Q6_K) xd = x;
      else q8_0_to_float(xq.data(), xd.data(), T * cols);
      for (Isa isa : all_isas()) {
        const QHeadKernels* k = qhead_kernels_for(isa);
        if (!k) continue;
        std::vector<float> y(size_t(T * rows));
        run_rows(*k, f, w.data(), rows, cols, x.data(), xq.data(), T, y.data());
        for (int64_t t = 0; t < T; ++t)
          for (int64_t r = 0; r < rows; ++r) {
            double want = 0;
            for (int64_t i = 0; i < cols; ++i) want += double(deq[size_t(r * cols + i)]) * xd[size_t(t * cols + i)];
            ASSERT_NEAR(y[size_t(t * rows + r)], want, 1e-5 * std::sqrt(double(cols)))
                << ft.name << " " << isa_name(isa) << " " << rows << "x" << cols << " t" << t << " r" << r;
          }
      }
    }
  }
}

// The threaded entry point on more rows than one chunk, on two threads: the
// workers must see the caller's quantized activations (each row equals the
// one-thread kernel's).
TEST(QHeadMatmul, ThreadedRowsEqualTheKernelsRows) {
  ThreadPool::set_global_threads(2);
  Rng rng(5);
  const int64_t rows = 1500, cols = 256;
  std::vector<float> src(size_t(rows * cols)), x(static_cast<size_t>(cols));
  for (auto& v : src) v = float(rng.normal());
  for (auto& v : x) v = float(rng.normal());
  std::vector<uint8_t> xq(size_t(format_bytes(format_traits(Format::Q8_0), cols)));
  q8_0_from_float(x.data(), xq.data(), cols);
  const QHeadKernels* k = pick_for_chosen_isa(qhead_kernels_for);
  for (Format f : kHeads) {
    const FormatTraits& ft = format_traits(f);
    std::vector<uint8_t> w(size_t(format_bytes(ft, rows * cols)));
    ft.from_float(src.data(), w.data(), rows * cols);
    std::vector<float> want(static_cast<size_t>(rows)), got(static_cast<size_t>(rows));
    run_rows(*k, f, w.data(), rows, cols, x.data(), xq.data(), 1, want.data());
    qhead_matmul(f, w.data(), rows, cols, x.data(), 1, got.data());
    EXPECT_EQ(got, want) << ft.name;
  }
  ThreadPool::set_global_threads(int(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace lowbit

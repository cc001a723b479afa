// The q-head GEMVs (kernels/qhead_matmul.hpp) of every ISA this host runs,
// all on int8 activations, against NumPy (tests/reference/formats_ref.py:
// weight blocks from NumPy's encoders and x's activation blocks too (Q8_0
// for Q8_0/Q4_0, Q8_K for Q6_K), so no C++ quantizer is in the loop):
// ggml's vec_dot, the sum over blocks of d_w d_x times the integer dot (for
// Q6_K with the 16-element group scales). The C++ activation quantizer
// against NumPy's blocks. Then wide random rows against a double loop over
// the registry's to_float (checked against NumPy in tests/formats) with x as
// its activation blocks' values, and against the unquantized x within the
// bound the activation rounding allows.
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

// x [T, cols] as format f's activation blocks (Q8_K for Q6_K, else Q8_0).
std::vector<uint8_t> act_blocks(Format f, const float* x, int64_t T, int64_t cols) {
  if (QHeadActs::q8_k_blocks(f)) {
    std::vector<uint8_t> b(size_t(T * cols / kQ8KBlock * kQ8KBlockBytes));
    q8_k_from_float(x, b.data(), T * cols);
    return b;
  }
  std::vector<uint8_t> b(size_t(format_bytes(format_traits(Format::Q8_0), T * cols)));
  q8_0_from_float(x, b.data(), T * cols);
  return b;
}

// The values d q the kernels see for x, from act_blocks's bytes.
std::vector<float> act_values(Format f, const std::vector<uint8_t>& b, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  if (!QHeadActs::q8_k_blocks(f)) {
    q8_0_to_float(b.data(), v.data(), n);
    return v;
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* blk = b.data() + i / kQ8KBlock * kQ8KBlockBytes;
    float d;
    std::memcpy(&d, blk, 4);
    v[size_t(i)] = d * float(int8_t(blk[4 + i % kQ8KBlock]));
  }
  return v;
}

// One ISA's kernel for format f on rows [0, rows) against x's activation blocks xq.
void run_rows(const QHeadKernels& k, Format f, const uint8_t* w, int64_t rows, int64_t cols, const uint8_t* xq,
              int64_t T, float* y) {
  const int64_t rb = format_bytes(format_traits(f), cols);
  QHeadActs acts;
  acts.assign(f, xq, T, cols);
  (f == Format::Q8_0 ? k.q8_0 : f == Format::Q6_K ? k.q6_k : k.q4_0)(w, rb, 0, rows, cols, acts, T, y, rows);
}

TEST(QHeadMatmul, EveryIsaMatchesNumPy) {
  for (Format f : kHeads) {
    const std::string name(format_traits(f).name);
    const std::string w = golden("formats_head_" + name + "_w.bin");
    const auto x = as_f32(golden("formats_head_" + name + "_x.f32"));
    const std::string xq = golden("formats_head_" + name + "_xq.bin");
    const auto want = as_f32(golden("formats_head_" + name + "_y.f32"));
    const int64_t T = 2, rows = int64_t(want.size()) / T, cols = int64_t(x.size()) / T;
    ASSERT_EQ(int64_t(w.size()), rows * format_bytes(format_traits(f), cols)) << name;
    // The C++ quantizer gives NumPy's activation blocks.
    const auto mine = act_blocks(f, x.data(), T, cols);
    ASSERT_EQ(std::string(mine.begin(), mine.end()), xq) << name;
    double xnorm = 0;
    for (float v : x) xnorm = std::max(xnorm, double(std::fabs(v)));
    const double tol = 1e-5 * xnorm * std::sqrt(double(cols));
    for (Isa isa : all_isas()) {
      const QHeadKernels* k = qhead_kernels_for(isa);
      if (!k) continue;
      std::vector<float> y(want.size(), -1.0f);
      run_rows(*k, f, reinterpret_cast<const uint8_t*>(w.data()), rows, cols,
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
    for (auto [rows, cols, T] : {std::tuple<int64_t, int64_t, int64_t>{1, 256, 1},
                                 {67, 2560, 1},
                                 {130, 512, 3},
                                 {5, 352, 2},
                                 {3, 96, 1},
                                 {9, 1280, 2}}) {
      if (cols % ft.block_elems != 0) continue;
      std::vector<float> src(size_t(rows * cols)), x(size_t(T * cols)), deq(src.size());
      for (auto& v : src) v = float(rng.normal()) * 0.05f;
      for (auto& v : x) v = float(rng.normal());
      x[7] = 9.0f;  // an outlier: a coarse first activation block
      std::vector<uint8_t> w(size_t(format_bytes(ft, int64_t(src.size()))));
      ft.from_float(src.data(), w.data(), int64_t(src.size()));
      ft.to_float(w.data(), deq.data(), int64_t(src.size()));
      const auto xq = act_blocks(f, x.data(), T, cols);
      const auto xd = act_values(f, xq, T * cols);  // what the int8 kernels see
      // The activation rounding moves each logit by at most sum_i |w_i| e_i,
      // e_i = d / 2 with d = absmax / 127 of x's block around column i (f32
      // in Q8_K blocks); Q8_0 blocks store d as fp16 (relative error
      // <= 2^-11), which moves a code of up to 127 by 127 d 2^-11 more.
      const bool k8 = QHeadActs::q8_k_blocks(f);
      const int64_t xb = k8 ? kQ8KBlock : kQ8Block;
      const double per_d = k8 ? 0.5 : 0.5 + 127.0 / 2048;
      std::vector<double> rounding(x.size());
      for (int64_t b = 0; b < T * cols / xb; ++b) {
        double amax = 0;
        for (int64_t i = b * xb; i < (b + 1) * xb; ++i) amax = std::max(amax, double(std::fabs(x[size_t(i)])));
        for (int64_t i = b * xb; i < (b + 1) * xb; ++i) rounding[size_t(i)] = amax / 127 * per_d;
      }
      for (Isa isa : all_isas()) {
        const QHeadKernels* k = qhead_kernels_for(isa);
        if (!k) continue;
        std::vector<float> y(size_t(T * rows));
        run_rows(*k, f, w.data(), rows, cols, xq.data(), T, y.data());
        for (int64_t t = 0; t < T; ++t)
          for (int64_t r = 0; r < rows; ++r) {
            double want = 0, exact = 0, bound = 0;
            for (int64_t i = 0; i < cols; ++i) {
              const double wi = deq[size_t(r * cols + i)];
              want += wi * xd[size_t(t * cols + i)];
              exact += wi * x[size_t(t * cols + i)];
              bound += std::fabs(wi) * rounding[size_t(t * cols + i)];
            }
            const float got = y[size_t(t * rows + r)];
            ASSERT_NEAR(got, want, 1e-5 * std::sqrt(double(cols)))
                << ft.name << " " << isa_name(isa) << " " << rows << "x" << cols << " t" << t << " r" << r;
            ASSERT_NEAR(got, exact, bound * (1 + 1e-4) + 1e-5 * std::sqrt(double(cols)))
                << "activation rounding " << ft.name << " " << isa_name(isa) << " " << rows << "x" << cols;
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
  const QHeadKernels* k = pick_for_chosen_isa(qhead_kernels_for);
  for (Format f : kHeads) {
    const FormatTraits& ft = format_traits(f);
    std::vector<uint8_t> w(size_t(format_bytes(ft, rows * cols)));
    ft.from_float(src.data(), w.data(), rows * cols);
    std::vector<float> want(static_cast<size_t>(rows)), got(static_cast<size_t>(rows));
    run_rows(*k, f, w.data(), rows, cols, act_blocks(f, x.data(), 1, cols).data(), 1, want.data());
    qhead_matmul(f, w.data(), rows, cols, x.data(), 1, got.data());
    EXPECT_EQ(got, want) << ft.name;
  }
  ThreadPool::set_global_threads(int(std::max(1u, std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace lowbit

#include "quant/int_matmul.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/int8_matmul.hpp"
#include "kernels/scale_rows.hpp"
#include "kernels/sgemm.hpp"

namespace lowbit {

void exact_int_matmul(const float* xq, const float* wq, int64_t tokens, int64_t in, int64_t out,
                      double max_abs_product, double* acc) {
  const int64_t kc = std::max<int64_t>(1, int64_t(double(1 << 24) / std::max(1.0, max_abs_product)));
  std::fill(acc, acc + tokens * out, 0.0);
  std::vector<float> part(static_cast<size_t>(tokens * out));
  for (int64_t k0 = 0; k0 < in; k0 += kc) {
    const int64_t k = std::min(kc, in - k0);
    sgemm(false, true, tokens, out, k, xq + k0, in, wq + k0, in, 0.0f, part.data(), out);
    for (size_t i = 0; i < part.size(); ++i) acc[i] += double(part[i]);
  }
}

namespace {

// y[t, o] = float(acc[t, o] * x_step[t] * w_step[o]) in double, rows on the pool.
void scale_row(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y) {
  scale_int32_row(acc, x_step, w_step, w_all, out, y);  // the same products, vectorized per ISA
}
void scale_row(const double* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y) {
  for (int64_t o = 0; o < out; ++o) y[o] = float(acc[o] * x_step * (w_step ? double(w_step[o]) : w_all));
}
template <typename Acc>
void scale_sums(const Acc* acc, const double* x_step, int64_t tokens, const float* w_step, double w_step_all,
                int64_t out, float* y) {
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) scale_row(acc + t * out, x_step[t], w_step, w_step_all, out, y + t * out);
  });
}

}  // namespace

void scale_int32_sums(const int32_t* acc, const double* x_step, int64_t tokens, const float* w_step, double w_step_all,
                      int64_t out, float* y) {
  scale_sums(acc, x_step, tokens, w_step, w_step_all, out, y);
}

void int8_matmul_scaled(const int8_t* xq, const double* x_step, int64_t tokens, int64_t in, const int8_t* wq,
                        const float* w_step, double w_step_all, int64_t out, float* y) {
  // The sums are exact integers either way: the int8 kernels (int32) where
  // a row fits them, else the SGEMM in chunks (double). Same y bit for bit.
  const size_t n = size_t(tokens * out);
  if (in <= kInt8MaxIn) {
    // Not zero-filled: the kernel writes every sum (training calls this
    // with megabytes of outputs every step).
    const std::unique_ptr<int32_t[]> acc32(new int32_t[n]);
    int8_matmul_i32(wq, out, in, xq, tokens, acc32.get());
    scale_sums(acc32.get(), x_step, tokens, w_step, w_step_all, out, y);
    return;
  }
  std::vector<double> acc(n);
  std::vector<float> xf(xq, xq + tokens * in), wf(wq, wq + out * in);
  exact_int_matmul(xf.data(), wf.data(), tokens, in, out, 128.0 * 128.0, acc.data());
  scale_sums(acc.data(), x_step, tokens, w_step, w_step_all, out, y);
}

}  // namespace lowbit

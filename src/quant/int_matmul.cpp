#include "quant/int_matmul.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/int8_matmul.hpp"
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

void int8_matmul_scaled(const int8_t* xq, const double* x_step, int64_t tokens, int64_t in, const int8_t* wq,
                        const float* w_step, double w_step_all, int64_t out, float* y) {
  // The sums are exact integers either way: the int8 kernels (int32) where
  // a row fits them, else the SGEMM in chunks (double). Same y bit for bit.
  std::vector<double> acc(static_cast<size_t>(tokens * out));
  if (in <= kInt8MaxIn) {
    std::vector<int32_t> acc32(acc.size());
    int8_matmul_i32(wq, out, in, xq, tokens, acc32.data());
    std::copy(acc32.begin(), acc32.end(), acc.begin());
  } else {
    std::vector<float> xf(xq, xq + tokens * in), wf(wq, wq + out * in);
    exact_int_matmul(xf.data(), wf.data(), tokens, in, out, 128.0 * 128.0, acc.data());
  }
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t o = 0; o < out; ++o)
        y[t * out + o] = float(acc[size_t(t * out + o)] * x_step[t] * (w_step ? double(w_step[o]) : w_step_all));
  });
}

}  // namespace lowbit

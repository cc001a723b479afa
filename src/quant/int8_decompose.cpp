#include "quant/int8_decompose.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"
#include "kernels/int8_matmul.hpp"
#include "quant/act_quant.hpp"
#include "quant/int_matmul.hpp"

namespace lowbit {

std::vector<uint8_t> outlier_columns(const float* x, int64_t tokens, int64_t in, float threshold) {
  std::vector<uint8_t> o(size_t(in), 0);
  if (threshold <= 0) return o;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < in; ++j)
      if (std::fabs(x[t * in + j]) >= threshold) o[size_t(j)] = 1;
  return o;
}

void int8_quantize_tokens(const float* x, int64_t tokens, int64_t in, const std::vector<uint8_t>& outlier,
                          int8_t* x8, float* cx) {
  for (int64_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * in;
    float m = 0;
    for (int64_t j = 0; j < in; ++j)
      if (!outlier[size_t(j)]) m = std::max(m, std::fabs(xt[j]));
    cx[t] = m;
    const double k = m > 0 ? 127.0 / m : 0.0;
    for (int64_t j = 0; j < in; ++j) x8[t * in + j] = outlier[size_t(j)] ? 0 : round_to_int8(xt[j] * k);
  }
}

void int8_mixed_matmul(const float* x, int64_t tokens, const Int8RowWeights& w, float threshold, float* y) {
  const int64_t in = w.in, out = w.out;
  const std::vector<uint8_t> outlier = outlier_columns(x, tokens, in, threshold);
  std::vector<int64_t> cols;  // the outlier columns, for the float part
  for (int64_t j = 0; j < in; ++j)
    if (outlier[size_t(j)]) cols.push_back(j);
  std::vector<int8_t> x8(static_cast<size_t>(tokens * in));
  std::vector<float> cx(static_cast<size_t>(tokens));
  int8_quantize_tokens(x, tokens, in, outlier, x8.data(), cx.data());

  // The exact integer products X8 CB^T: the int8 kernel where its int32 sums
  // cannot overflow, else the chunked SGEMM (also exact, in double).
  std::vector<double> acc(static_cast<size_t>(tokens * out));
  if (in <= kInt8MaxIn) {
    std::vector<int32_t> acc32(acc.size());
    int8_matmul_i32(w.cb.data(), out, in, x8.data(), tokens, acc32.data());
    std::copy(acc32.begin(), acc32.end(), acc.begin());
  } else {
    std::vector<float> xf(x8.begin(), x8.end()), wf(w.cb.begin(), w.cb.end());
    exact_int_matmul(xf.data(), wf.data(), tokens, in, out, 127.0 * 127.0, acc.data());
  }
  ThreadPool::global().parallel_for(out, 8, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const int8_t* cb = w.cb.data() + o * in;
      const double cw = w.scb[size_t(o)];
      for (int64_t t = 0; t < tokens; ++t) {
        const double y8 = acc[size_t(t * out + o)] * double(cx[size_t(t)]) * cw / (127.0 * 127.0);
        double yf = 0;
        for (int64_t j : cols) yf += double(x[t * in + j]) * (double(cb[j]) * cw / 127.0);
        y[t * out + o] = float(y8 + yf);
      }
    }
  });
}

}  // namespace lowbit

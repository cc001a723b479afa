#include "quant/int8_decompose.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"
#include "kernels/a8_kernels.hpp"
#include "kernels/a8_schedule.hpp"
#include "kernels/dispatch.hpp"
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

void int8_quantize_tokens(const float* x, int64_t tokens, int64_t in, const std::vector<uint8_t>& outlier, int8_t* x8,
                          float* cx) {
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
  int8_mixed_matmul(x, tokens, w.cb.data(), w.scb.data(), w.out, w.in, threshold, y);
}

namespace {

// The quantization of every token by the ISA's activation quantizer (one
// vectorized pass for max|x|, one to round: the scalar pair above is a
// visible serial share of a decode step at 2 threads), or false if some
// |x| reaches the threshold, so outlier columns may exist. Then cx[t] =
// 127 * (gamma / 127) in float, within one rounding of gamma: y moves by
// ~1e-7 relative. X8 is round(127 x / gamma), as int8_quantize_tokens.
bool quantize_tokens_without_outliers(const float* x, int64_t tokens, int64_t in, float threshold, int8_t* x8,
                                      float* cx) {
  const TernaryKernels& k = kernels();
  for (int64_t t = 0; t < tokens; ++t) {
    float scale = 0;
    k.quantize_act(x + t * in, in, in, x8 + t * in, &scale);
    cx[t] = scale * 127.0f;
    // gamma >= threshold exactly would need gamma itself; a margin of
    // 1e-6 relative (far above scale's rounding) sends those to the
    // exact path, which finds the outliers.
    if (threshold > 0 && !(double(scale) * 127.0 < double(threshold) * (1.0 - 1e-6))) return false;
  }
  return true;
}

}  // namespace

void int8_mixed_matmul(const float* x, int64_t tokens, const int8_t* w_cb, const float* w_scb, int64_t out, int64_t in,
                       float threshold, float* y) {
  // Scratch per calling thread (a decode step makes ~100 of these calls),
  // named through references: the pool's jobs below must see the caller's
  // vectors, not their own thread's.
  thread_local std::vector<int8_t> tl_x8;
  thread_local std::vector<float> tl_cx;
  thread_local std::vector<int64_t> tl_cols;
  std::vector<int8_t>& x8 = tl_x8;
  std::vector<float>& cx = tl_cx;
  std::vector<int64_t>& cols = tl_cols;  // the outlier columns, for the float part
  x8.resize(static_cast<size_t>(tokens * in));
  cx.resize(static_cast<size_t>(tokens));
  cols.clear();
  if (!quantize_tokens_without_outliers(x, tokens, in, threshold, x8.data(), cx.data())) {
    const std::vector<uint8_t> outlier = outlier_columns(x, tokens, in, threshold);
    for (int64_t j = 0; j < in; ++j)
      if (outlier[size_t(j)]) cols.push_back(j);
    int8_quantize_tokens(x, tokens, in, outlier, x8.data(), cx.data());
  }

  // y = Y8 + Yf for output o of token t, from the exact integer product.
  auto finish = [&](int64_t o, int64_t t, double acc) {
    const int8_t* cb = w_cb + o * in;
    const double cw = w_scb[o];
    const double y8 = acc * double(cx[size_t(t)]) * cw / (127.0 * 127.0);
    double yf = 0;
    for (int64_t j : cols) yf += double(x[t * in + j]) * (double(cb[j]) * cw / 127.0);
    y[t * out + o] = float(y8 + yf);
  };
  if (in <= kInt8MaxIn) {
    // The int8 kernel where its int32 sums cannot overflow, each block of
    // rows finished in the same pass of the pool: one fork-join per matmul
    // (a decode step runs a hundred of these; a second pass to scale cost
    // about 10% of an int8 model's decode).
    const A8Kernels& k = a8_kernels();
    auto rows = [&](int64_t rb, int64_t re, int64_t t0, int64_t nt) {
      thread_local std::vector<int32_t> acc;
      const int64_t nr = re - rb;
      acc.resize(size_t(nt * nr));
      k.dot_i8(w_cb + rb * in, in, nr, x8.data() + t0 * in, in, nt, in, acc.data(), nr);
      for (int64_t t = t0; t < t0 + nt; ++t) {
        const int32_t* at = acc.data() + (t - t0) * nr;
        if (cols.empty()) {  // finish() without outliers, as one loop the compiler can vectorize
          const double ct = double(cx[size_t(t)]) / (127.0 * 127.0);
          for (int64_t o = rb; o < re; ++o) y[t * out + o] = float(double(at[o - rb]) * ct * double(w_scb[o]) + 0.0);
        } else {
          for (int64_t o = rb; o < re; ++o) finish(o, t, double(at[o - rb]));
        }
      }
    };
    detail::a8_for_blocks(out, in, tokens, rows);
    return;
  }
  // Else the chunked SGEMM (also exact, in double).
  std::vector<double> acc(static_cast<size_t>(tokens * out));
  std::vector<float> xf(x8.begin(), x8.end()), wf(w_cb, w_cb + out * in);
  exact_int_matmul(xf.data(), wf.data(), tokens, in, out, 127.0 * 127.0, acc.data());
  ThreadPool::global().parallel_for(out, 8, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t t = 0; t < tokens; ++t) finish(o, t, acc[size_t(t * out + o)]);
  });
}

}  // namespace lowbit

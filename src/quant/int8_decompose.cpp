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
  // |= of the comparison instead of a conditional store: it vectorizes.
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < in; ++j) o[size_t(j)] |= uint8_t(std::fabs(x[t * in + j]) >= threshold);
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

// X8 and cx (int8_quantize_tokens' contract) through the ISA's activation
// quantizer: the scalar pair outlier_columns + int8_quantize_tokens was a
// visible serial share of a decode step at 2 threads. Tokens go in as they
// are while no |x| reaches the threshold; once one does, the outlier
// columns are found and every token is quantized with them zeroed (a zero
// column changes neither the max over the others nor their rounding, and
// its X8 is 0). cx[t] = 127 * (gamma / 127) in float, within one rounding
// of gamma (y moves by ~1e-7 relative); X8 = round(127 x / gamma).
// Returns the outlier columns.
void quantize_tokens(const float* x, int64_t tokens, int64_t in, float threshold, int8_t* x8, float* cx,
                     std::vector<int64_t>& cols) {
  const TernaryKernels& k = kernels();
  cols.clear();
  for (int64_t t = 0; t < tokens; ++t) {
    float scale = 0;
    k.quantize_act(x + t * in, in, in, x8 + t * in, &scale);
    cx[t] = scale * 127.0f;
    // Whether gamma >= threshold would need gamma itself; a margin of 1e-6
    // relative (far above scale's rounding) sends the near cases on to the
    // exact search below, which finds no outlier if there is none.
    if (threshold > 0 && !(double(scale) * 127.0 < double(threshold) * (1.0 - 1e-6))) break;
    if (t + 1 == tokens) return;
  }
  const std::vector<uint8_t> outlier = outlier_columns(x, tokens, in, threshold);
  for (int64_t j = 0; j < in; ++j)
    if (outlier[size_t(j)]) cols.push_back(j);
  thread_local std::vector<float> tl_row;
  std::vector<float>& row = tl_row;
  row.resize(static_cast<size_t>(in));
  for (int64_t t = 0; t < tokens; ++t) {
    const float* xt = x + t * in;
    for (int64_t j = 0; j < in; ++j) row[size_t(j)] = outlier[size_t(j)] ? 0.0f : xt[j];
    float scale = 0;
    k.quantize_act(row.data(), in, in, x8 + t * in, &scale);
    cx[t] = scale * 127.0f;
  }
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
  quantize_tokens(x, tokens, in, threshold, x8.data(), cx.data(), cols);

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

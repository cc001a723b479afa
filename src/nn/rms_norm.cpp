#include "nn/rms_norm.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace lowbit {

// Rows are independent: blocks of 16 rows per thread (a single row, decode,
// stays on the caller).
void rms_norm_forward(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y, float* inv_rms) {
  ThreadPool::global().parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      // Eight partial sums: one serial chain of double adds cost about 7 us
      // per 6912-wide row, a visible share of a decode step.
      double part[8] = {};
      int64_t i = 0;
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) part[k] += double(xr[i + k]) * xr[i + k];
      for (; i < n; ++i) part[0] += double(xr[i]) * xr[i];
      const double ss = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
      const float inv = float(1.0 / std::sqrt(ss / double(n) + eps));
      if (inv_rms) inv_rms[r] = inv;
      float* yr = y + r * n;
      if (w)
        for (int64_t j = 0; j < n; ++j) yr[j] = xr[j] * inv * w[j];
      else
        for (int64_t j = 0; j < n; ++j) yr[j] = xr[j] * inv;
    }
  });
}

// With xhat = x * inv and g = dy * w:  dx = inv * (g - xhat * mean(g * xhat)).
// dw is summed over the rows in row order per column (columns split over
// the threads), so it does not depend on the thread count. dx may alias dy:
// dw is summed first.
void rms_norm_backward(const float* x, const float* w, const float* inv_rms, const float* dy, int64_t rows, int64_t n,
                       float* dx, float* dw) {
  ThreadPool& pool = ThreadPool::global();
  if (dw)
    pool.parallel_for(n, 16, [&](int64_t i0, int64_t i1) {
      for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * n;
        const float* dyr = dy + r * n;
        const float inv = inv_rms[r];
        for (int64_t i = i0; i < i1; ++i) dw[i] += dyr[i] * xr[i] * inv;
      }
    });
  pool.parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      const float* dyr = dy + r * n;
      const float inv = inv_rms[r];
      float* dxr = dx + r * n;
      // g = dy * w first (into dx: dy is read before it is written), then
      // sum(g * x) in eight double partial sums, which vectorize.
      for (int64_t i = 0; i < n; ++i) dxr[i] = w ? dyr[i] * w[i] : dyr[i];
      double part[8] = {};
      int64_t i = 0;
      for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) part[k] += double(dxr[i + k]) * xr[i + k];
      for (; i < n; ++i) part[0] += double(dxr[i]) * xr[i];
      const double dot =
          (((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]))) * inv;
      const float mean = float(dot / double(n));
      const float c = inv * mean * inv;
      for (int64_t j = 0; j < n; ++j) dxr[j] = inv * dxr[j] - xr[j] * c;
    }
  });
}

}  // namespace lowbit

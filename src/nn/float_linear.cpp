#include "nn/float_linear.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"

namespace lowbit {

FloatLinear::FloatLinear(Tensor w) : LinearLayer(std::move(w)) {}

void FloatLinear::forward(const float* x, int64_t tokens, float* y) const {
  matmul_xwt(x, w_.data<float>(), tokens, in_, out_, y);
}

void FloatLinear::backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const {
  if (dx) matmul_dy_w(dy, w_.data<float>(), tokens, in_, out_, dx);
  if (dw) accumulate_dyt_x(dy, x, tokens, in_, out_, dw);
}

void matmul_xwt(const float* x, const float* w, int64_t tokens, int64_t in, int64_t out, float* y) {
  ThreadPool::global().parallel_for(out, 8, [&](int64_t o0, int64_t o1) {
    for (int64_t t = 0; t < tokens; ++t) {
      const float* xt = x + t * in;
      for (int64_t o = o0; o < o1; ++o) {
        const float* wo = w + o * in;
        double acc = 0;
        for (int64_t i = 0; i < in; ++i) acc += double(xt[i]) * wo[i];
        y[t * out + o] = float(acc);
      }
    }
  });
}

void matmul_dy_w(const float* dy, const float* w, int64_t tokens, int64_t in, int64_t out, float* dx) {
  ThreadPool::global().parallel_for(tokens, 1, [&](int64_t t0, int64_t t1) {
    std::vector<double> acc(static_cast<size_t>(in));
    for (int64_t t = t0; t < t1; ++t) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t o = 0; o < out; ++o) {
        const double g = dy[t * out + o];
        const float* wo = w + o * in;
        for (int64_t i = 0; i < in; ++i) acc[size_t(i)] += g * wo[i];
      }
      for (int64_t i = 0; i < in; ++i) dx[t * in + i] = float(acc[size_t(i)]);
    }
  });
}

void accumulate_dyt_x(const float* dy, const float* x, int64_t tokens, int64_t in, int64_t out, float* dw) {
  ThreadPool::global().parallel_for(out, 8, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      float* dwo = dw + o * in;
      for (int64_t t = 0; t < tokens; ++t) {
        const float g = dy[t * out + o];
        if (g == 0.0f) continue;
        const float* xt = x + t * in;
        for (int64_t i = 0; i < in; ++i) dwo[i] += g * xt[i];
      }
    }
  });
}

}  // namespace lowbit

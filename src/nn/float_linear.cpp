#include "nn/float_linear.hpp"

#include "kernels/sgemm.hpp"

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
  sgemm(false, true, tokens, out, in, x, in, w, in, 0.0f, y, out);
}

void matmul_dy_w(const float* dy, const float* w, int64_t tokens, int64_t in, int64_t out, float* dx) {
  sgemm(false, false, tokens, in, out, dy, out, w, in, 0.0f, dx, in);
}

void accumulate_dyt_x(const float* dy, const float* x, int64_t tokens, int64_t in, int64_t out, float* dw) {
  sgemm(true, false, out, in, tokens, dy, out, x, in, 1.0f, dw, in);
}

}  // namespace lowbit

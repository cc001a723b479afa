// The float baseline: y = x W^T, exactly PyTorch's Linear without bias.
#pragma once

#include "nn/linear_layer.hpp"

namespace lowbit {

class FloatLinear final : public LinearLayer {
 public:
  explicit FloatLinear(Tensor w);
  LinearType type() const override { return LinearType::Float; }
  void forward(const float* x, int64_t tokens, float* y) const override;
  void backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const override;
  size_t weight_bytes() const override { return w_.nbytes(); }
};

// Plain f32 helpers shared by the layers' reference paths.
// All three run on the blocked SGEMM (kernels/sgemm.hpp), f32 accumulation.
// y[t, o] = sum_i x[t, i] * w[o, i]
void matmul_xwt(const float* x, const float* w, int64_t tokens, int64_t in, int64_t out, float* y);
// dx[t, i] = sum_o dy[t, o] * w[o, i]
void matmul_dy_w(const float* dy, const float* w, int64_t tokens, int64_t in, int64_t out, float* dx);
// dw[o, i] += sum_t dy[t, o] * x[t, i]
void accumulate_dyt_x(const float* dy, const float* x, int64_t tokens, int64_t in, int64_t out, float* dw);

}  // namespace lowbit

#include "nn/int8_linear.hpp"

#include "core/error.hpp"
#include "nn/float_linear.hpp"
#include "quant/int8_decompose.hpp"

namespace lowbit {

Int8Linear::Int8Linear(Tensor w, const LinearOptions& opt) : LinearLayer(std::move(w)), threshold_(opt.threshold) {
  LOWBIT_CHECK(threshold_ >= 0, "int8: the outlier threshold must be >= 0 (0 disables it), got {}", threshold_);
  requantize();
}

void Int8Linear::requantize() {
  wq_ = quantize_int8_rows(w_.data<float>(), out_, in_);
  w_deq_.resize(wq_.cb.size());
  for (int64_t o = 0; o < out_; ++o)
    for (int64_t i = 0; i < in_; ++i)
      w_deq_[size_t(o * in_ + i)] = float(double(wq_.cb[size_t(o * in_ + i)]) * wq_.scb[size_t(o)] / 127.0);
}

void Int8Linear::forward(const float* x, int64_t tokens, float* y) const {
  int8_mixed_matmul(x, tokens, wq_, threshold_, y);
}

void Int8Linear::backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const {
  if (dx) matmul_dy_w(dy, w_deq_.data(), tokens, in_, out_, dx);
  if (dw) accumulate_dyt_x(dy, x, tokens, in_, out_, dw);
}

}  // namespace lowbit

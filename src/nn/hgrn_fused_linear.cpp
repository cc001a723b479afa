#include "nn/hgrn_fused_linear.hpp"

#include <algorithm>

#include "nn/rms_norm.hpp"

namespace lowbit {

HgrnFusedLinear::HgrnFusedLinear(LinearType type, Tensor weight, float eps)
    : lin_(make_linear(type, std::move(weight))), eps_(eps), norm_(Tensor::f32({lin_->in_features()})),
      dnorm_(Tensor::f32({lin_->in_features()})) {
  ternary_ = dynamic_cast<const TernaryLinear*>(lin_.get());
  std::fill(norm_.span<float>().begin(), norm_.span<float>().end(), 1.0f);
  std::fill(dnorm_.span<float>().begin(), dnorm_.span<float>().end(), 0.0f);
}

void HgrnFusedLinear::forward(const float* x, int64_t n, float* y) {
  const int64_t in = in_features();
  if (r_.size() < size_t(n * in)) r_.resize(size_t(n * in));
  if (inv_.size() < size_t(n)) inv_.resize(size_t(n));
  rms_norm_forward(x, norm_.data<float>(), n, in, eps_, r_.data(), inv_.data());
  if (ternary_) {
    ternary_->quantize_for_training(r_.data(), n, acts_);
    ternary_->forward_from(acts_, y);
  } else {
    lin_->forward(r_.data(), n, y);
  }
}

void HgrnFusedLinear::backward(const float* x, const float* dy, int64_t n, float* dx, float* dw) {
  if (ternary_) ternary_->backward_from(r_.data(), acts_, dy, dx, dw);
  else lin_->backward(r_.data(), dy, n, dx, dw);
  rms_norm_backward(x, norm_.data<float>(), inv_.data(), dx, n, in_features(), dx, dnorm_.data<float>());
}

}  // namespace lowbit

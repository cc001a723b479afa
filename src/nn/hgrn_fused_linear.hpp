// HGRN-Bit's FusedBitLinear for training (docs/MATH.md S6):
//   y = lin(RMSNorm(x, eps) * norm)      (eps: 1e-6 in MMfreeLM, kHgrnProjEps)
// with lin a LinearLayer (b1.58: absmean ternary weights and per-token int8
// activations, STE backward; float for finite-difference checks). The
// forward keeps the normalized input, its 1/rms and (ternary) its quantized
// codes, so the backward quantizes nothing again.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.hpp"
#include "nn/linear_layer.hpp"
#include "nn/ternary_linear.hpp"

namespace lowbit {

class HgrnFusedLinear {
 public:
  // weight [out, in] (moved in); the norm starts at ones.
  HgrnFusedLinear(LinearType type, Tensor weight, float eps);

  // y [n, out] from x [n, in].
  void forward(const float* x, int64_t n, float* y);
  // For the last forward's x: dx [n, in] written, the weight gradient added
  // into dw [out, in] (a caller's tensor: a tied head adds into the
  // embedding's), the norm's into norm_grad().
  void backward(const float* x, const float* dy, int64_t n, float* dx, float* dw);

  LinearLayer& linear() { return *lin_; }
  const LinearLayer& linear() const { return *lin_; }
  Tensor& norm() { return norm_; }
  Tensor& norm_grad() { return dnorm_; }
  int64_t in_features() const { return lin_->in_features(); }
  int64_t out_features() const { return lin_->out_features(); }

 private:
  std::unique_ptr<LinearLayer> lin_;
  const TernaryLinear* ternary_ = nullptr;  // lin_ when it is ternary: the kept-codes path
  float eps_;
  Tensor norm_, dnorm_;
  std::vector<float> r_, inv_;  // the forward's normalized input and 1/rms
  TernaryLinear::TrainActs acts_;
};

}  // namespace lowbit

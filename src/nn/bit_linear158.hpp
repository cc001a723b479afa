// S4 BitLinear b1.58 (BitNet b1.58 / matmul-free LM): absmean ternary
// weights, per-token int8 absmax activations, optional RMSNorm ("subln",
// no affine) in front: y = (W~ . x_q) * s * gamma / 127.
#pragma once

#include "nn/ternary_linear.hpp"

namespace lowbit {

class BitLinear158 final : public TernaryLinear {
 public:
  BitLinear158(Tensor w, const LinearOptions& opt) : TernaryLinear(std::move(w), opt) {}
  LinearType type() const override { return LinearType::BitLinear158; }

 protected:
  void transform(const float* x, float* h) const override;
  void transform_backward(const float* x, const float* dh, float* dx) const override;
  bool transform_is_identity() const override { return !opt_.subln; }
  ActQuantResult quantize(const float* h, int8_t* q, uint8_t* pass) const override;
};

}  // namespace lowbit

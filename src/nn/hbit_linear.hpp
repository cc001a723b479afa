// S3 H-BitLinear (BitNet v2): optional RMSNorm ("subln") -> normalized
// Walsh-Hadamard transform (blockwise; the f32 SIMD one of kernels/fwht.hpp
// forward, quant/hadamard.hpp's double one for gradients) -> INT8 absmax
// (act_bits 8) or INT4 absmean (act_bits 4) -> ternary matmul:
// y = W~ Q(H x). The backward of H is H (symmetric, orthonormal).
// INT4 constants (beta = mean|Hx|, sqrt(7), clip [-8, 7]) as in docs/MATH.md S3,
// which follows BitNet a4.8 / v2's absmean INT4 quantizer.
#pragma once

#include "nn/ternary_linear.hpp"

namespace lowbit {

class HBitLinear final : public TernaryLinear {
 public:
  HBitLinear(Tensor w, const LinearOptions& opt);
  LinearType type() const override { return LinearType::HBitLinear; }

 protected:
  void transform(const float* x, float* h) const override;
  void transform_backward(const float* x, const float* dh, float* dx) const override;
  ActQuantResult quantize(const float* h, int8_t* q, uint8_t* pass) const override;
};

}  // namespace lowbit

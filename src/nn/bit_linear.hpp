// S1 BitLinear v1 (BitNet, binary weights), docs/MATH.md S1:
// per token x -> LayerNorm (no affine, optional) -> b-bit absmax (or the
// shifted eta = min x variant) -> y = (W~ x~) * beta_g * gamma / Qb with
// W~ = sign(W - alpha_g) per group of contiguous output rows. The same
// gamma and beta quantize and dequantize; statistics come from the float
// values before quantization. Backward: the STE of nn/ste.hpp, then
// LayerNorm's backward.
#pragma once

#include <vector>

#include "kernels/binary_matmul.hpp"
#include "nn/linear_layer.hpp"
#include "nn/ste.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit {

// The exact sums acc [tokens, out] = q W~^T of S1's quantized activations q
// [tokens, in] (b <= 8, signed) on the binary x int8 kernel: the activations
// are integers except the two extremes the eps margin moves to
// +-(Qb - eps), which split into an int8 part and a fraction added in
// double. False (nothing written) where that does not apply or the
// fractions are too many to be worth it. `packed` is wq's signs packed by
// kernels/binary_matmul (the layer packs per call, an eval-mode copy once).
bool binary_forward_acc(const BinaryWeights& wq, const PackedBinary& packed, const float* q, int64_t tokens,
                        std::vector<double>& acc);

class BitLinear final : public LinearLayer {
 public:
  BitLinear(Tensor w, const LinearOptions& opt);
  LinearType type() const override { return LinearType::BitLinear; }
  void forward(const float* x, int64_t tokens, float* y) const override;
  void backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const override;
  // 1 bit per weight + one f32 beta per group (alpha is only needed to binarize).
  size_t weight_bytes() const override;
  void requantize() override;

  const BinaryWeights& quantized() const { return wq_; }

 private:
  // Normalizes and quantizes every token (parallel over tokens).
  void quantize_acts(const float* x, int64_t tokens, std::vector<float>& q, std::vector<double>& step,
                     std::vector<uint8_t>* pass) const;

  LinearOptions opt_;
  BinaryWeights wq_;
  std::vector<float> w_deq_;  // sign * beta_g, for the backward
};

}  // namespace lowbit

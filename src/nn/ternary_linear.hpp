// What S4 (BitLinear b1.58) and S3 (H-BitLinear) share: absmean ternary
// weights (2 bits each + one f32 scale s at rest), per-token integer
// activations from a per-token transform h (RMSNorm "subln", Hadamard),
// y = (W~ . x_q) * s * step (exact int32 dot products), and the STE
// backward of nn/ste.hpp followed by h's backward.
#pragma once

#include <vector>

#include "nn/linear_layer.hpp"
#include "nn/ste.hpp"
#include "quant/act_quant.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit {

class TernaryLinear : public LinearLayer {
 public:
  void forward(const float* x, int64_t tokens, float* y) const override;
  void backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const override;
  size_t weight_bytes() const override { return size_t((out_ * in_ * 2 + 7) / 8) + sizeof(float); }
  void requantize() override;

  const TernaryWeights& quantized() const { return wq_; }

 protected:
  TernaryLinear(Tensor w, const LinearOptions& opt);

  // h = transform(x) for one token (in_ values); and its backward.
  virtual void transform(const float* x, float* h) const = 0;
  virtual void transform_backward(const float* x, const float* dh, float* dx) const = 0;
  // Quantizes one transformed token.
  virtual ActQuantResult quantize(const float* h, int8_t* q, uint8_t* pass) const = 0;

  LinearOptions opt_;

 private:
  void quantize_acts(const float* x, int64_t tokens, std::vector<int8_t>& q, std::vector<double>& step,
                     std::vector<uint8_t>* pass) const;

  TernaryWeights wq_;
  std::vector<float> w_deq_;  // q * s, for the backward
};

}  // namespace lowbit

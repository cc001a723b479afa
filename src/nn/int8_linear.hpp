// S5 Int8Linear (LLM.int8 / bitsandbytes): weights stored as int8 CB with
// per-row f32 absmax SCB; forward is the vector-wise int8 matmul with the
// mixed-precision decomposition of quant/int8_decompose.hpp. Backward is
// the float backward with the dequantized weight CB * SCB / 127 (the
// decomposition is treated as the identity on x, as bitsandbytes' training
// path does): dx = dy W_deq, dW += dy^T x.
#pragma once

#include <vector>

#include "nn/linear_layer.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit {

class Int8Linear final : public LinearLayer {
 public:
  Int8Linear(Tensor w, const LinearOptions& opt);
  LinearType type() const override { return LinearType::Int8; }
  void forward(const float* x, int64_t tokens, float* y) const override;
  void backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const override;
  size_t weight_bytes() const override { return size_t(out_ * in_) + size_t(out_) * sizeof(float); }
  void requantize() override;

  const Int8RowWeights& quantized() const { return wq_; }

 private:
  float threshold_;
  Int8RowWeights wq_;
  std::vector<float> w_deq_;
};

}  // namespace lowbit

// What S4 (BitLinear b1.58) and S3 (H-BitLinear) share: absmean ternary
// weights (2 bits each + one f32 scale s at rest), per-token integer
// activations from a per-token transform h (RMSNorm "subln", Hadamard),
// y = (W~ . x_q) * s * step (exact int32 dot products), and the STE
// backward of nn/ste.hpp followed by h's backward.
#pragma once

#include <vector>

#include "kernels/int8_grad.hpp"
#include "kernels/int8_tile_matmul.hpp"
#include "kernels/ternary_grad.hpp"
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

  // The training path: the forward's activation quantization kept for the
  // backward (the backward above recomputes it), and shareable by the
  // projections that read the same input with the same quantizer (q/k/v,
  // gate/up). forward_from and backward_from compute exactly what forward
  // and backward compute on the x the acts were quantized from.
  // Where AMX runs (kernels/amx.hpp) the backward's products run on the
  // codes (kernels/int8_grad.hpp: exact products, f32 sums); elsewhere the
  // input gradient adds and subtracts dy through the ternary codes
  // (kernels/ternary_grad.hpp) and the weight gradient is an SGEMM on q * step.
  struct TrainActs {
    int64_t tokens = 0;
    std::vector<int8_t> q;      // [tokens, in] codes
    std::vector<double> step;   // [tokens]
    QuantizedActs deq;          // the STE mask, and q * step (for the SGEMM weight gradient only)
    AlignedBuffer rows;         // q again, rows padded to 64 bytes for the AMX tiles
    int64_t rows_stride = 0;
    Int8GradCodes codes;        // q again, for the AMX weight gradient
    std::vector<float> step_f;  // float(step), for the AMX weight gradient
  };
  void quantize_for_training(const float* x, int64_t tokens, TrainActs& a) const;
  void forward_from(const TrainActs& a, float* y) const;
  void backward_from(const float* x, const TrainActs& a, const float* dy, float* dx, float* dw) const;
  // Whether `o` quantizes an input exactly as this layer does.
  bool same_act_quantizer(const TernaryLinear& o) const {
    return type() == o.type() && in_ == o.in_ && opt_.subln == o.opt_.subln && opt_.act_bits == o.opt_.act_bits;
  }

 protected:
  TernaryLinear(Tensor w, const LinearOptions& opt);

  // h = transform(x) for one token (in_ values); and its backward.
  virtual void transform(const float* x, float* h) const = 0;
  virtual void transform_backward(const float* x, const float* dh, float* dx) const = 0;
  // Whether h = x (the training backward then writes dh straight into dx).
  virtual bool transform_is_identity() const { return false; }
  // Quantizes one transformed token.
  virtual ActQuantResult quantize(const float* h, int8_t* q, uint8_t* pass) const = 0;

  LinearOptions opt_;

 private:
  void quantize_acts(const float* x, int64_t tokens, std::vector<int8_t>& q, std::vector<double>& step,
                     std::vector<uint8_t>* pass) const;
  // What the backward needs of the quantized x: codes, steps, mask, and
  // the dequantized values or the AMX layout of the codes.
  void quantize_for_backward(const float* x, int64_t tokens, TrainActs& a) const;
  // dh = scale * dy . wq_ (AMX tiles, or the multiply-free kernel).
  void input_grad(const float* dy, int64_t tokens, float* dh) const;

  TernaryWeights wq_;
  const bool amx_;  // the backward's products on AMX (kernels/int8_grad.hpp)
  // wq_ in the input gradient's layout (AMX tiles, or ternary_grad's codes),
  // packed on first use after each requantize.
  mutable Int8GradWeights grad_w_;
  mutable TernaryGradWeights lut_w_;
  mutable bool grad_w_current_ = false;
  // wq_ in forward_from's layout, packed on first use after each requantize
  // (inference-only layers never pack it): AMX tiles where AMX runs
  // (kernels/int8_tile_matmul.hpp), else the multiply-free forward's codes
  // (kernels/ternary_grad.hpp: int16 tables over 32 tokens, 1.6-2.1x the
  // int8 GEMM kernels on AVX2 at the training shapes). Both give the same
  // exact int32 sums as the int8 GEMM kernels.
  mutable TernaryGradWeights lut_fwd_;
  mutable Int8TileWeights tile_w_;
  mutable bool packed_current_ = false;
};

}  // namespace lowbit

#include "nn/hbit_linear.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "kernels/fwht.hpp"
#include "kernels/int8_absmax.hpp"
#include "nn/norms.hpp"
#include "quant/hadamard.hpp"

namespace lowbit {

HBitLinear::HBitLinear(Tensor w, const LinearOptions& opt) : TernaryLinear(std::move(w), opt) {
  LOWBIT_CHECK(opt.act_bits == 4 || opt.act_bits == 8, "hbitlinear: activation bits must be 4 or 8, got {}",
               opt.act_bits);
}

void HBitLinear::transform(const float* x, float* h) const {
  if (opt_.subln)
    subln_forward(x, in_, h);
  else
    std::copy(x, x + in_, h);
  // The SIMD f32 transform (bit-exact across ISAs) in the forward, inference
  // and training alike, so a trained model sees at inference the activations
  // it was trained on.
  fwht_f32(h, in_);
}

void HBitLinear::transform_backward(const float* x, const float* dh, float* dx) const {
  // Gradients only (training): the double-precision reference transform.
  std::vector<float> g(dh, dh + in_);
  fwht(g.data(), in_);
  if (opt_.subln)
    subln_backward(x, g.data(), in_, dx);
  else
    std::copy(g.begin(), g.end(), dx);
}

ActQuantResult HBitLinear::quantize(const float* h, int8_t* q, uint8_t* pass) const {
  return opt_.act_bits == 4 ? quant_int4_absmean(h, in_, q, pass) : int8_absmax_quantize(h, in_, q, pass);
}

}  // namespace lowbit

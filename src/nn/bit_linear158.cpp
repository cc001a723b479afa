#include "nn/bit_linear158.hpp"

#include <algorithm>

#include "kernels/int8_absmax.hpp"
#include "nn/norms.hpp"

namespace lowbit {

void BitLinear158::transform(const float* x, float* h) const {
  if (opt_.subln)
    subln_forward(x, in_, h);
  else
    std::copy(x, x + in_, h);
}

void BitLinear158::transform_backward(const float* x, const float* dh, float* dx) const {
  if (opt_.subln)
    subln_backward(x, dh, in_, dx);
  else
    std::copy(dh, dh + in_, dx);
}

ActQuantResult BitLinear158::quantize(const float* h, int8_t* q, uint8_t* pass) const {
  return int8_absmax_quantize(h, in_, q, pass);
}

}  // namespace lowbit

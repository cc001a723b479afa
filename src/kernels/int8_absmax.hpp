// The int8 absmax activation quantizer (quant_int8_absmax of
// quant/act_quant.hpp: gamma = max|x|, q = round(127 x / gamma) computed
// as x * (127 / gamma) in double, round half away) at kernel speed for the
// training path, which quantizes every projection input every step. The
// same codes, gamma, step and STE mask, bit for bit, on every ISA: AVX-512
// or AVX2 where chosen_isa() is, else (and for inputs with NaN or
// infinities) the reference itself.
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"
#include "quant/act_quant.hpp"

namespace lowbit {

ActQuantResult int8_absmax_quantize(const float* x, int64_t n, int8_t* q, uint8_t* pass);
// The same with one ISA's kernel (tests run every one the host can).
ActQuantResult int8_absmax_quantize_isa(Isa isa, const float* x, int64_t n, int8_t* q, uint8_t* pass);

}  // namespace lowbit

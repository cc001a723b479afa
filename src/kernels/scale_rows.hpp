// Integer sums rescaled to floats, one output row at a time:
//   y[o] = float(double(acc[o]) * x_step * w_o),  w_o = w_step[o] or w_all
// (the double products of scale_int32_sums, quant/int_matmul.hpp, which
// every int8 and ternary matmul's output goes through, in training once
// per projection and step). The same bits on every ISA: the AVX2 kernel
// does the same two double multiplies and the same one rounding to float,
// four outputs at a time.
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"

namespace lowbit {

using ScaleRowFn = void (*)(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out,
                            float* y);
// One ISA's kernel, or null where this CPU or build lacks it.
ScaleRowFn scale_row_for_isa(Isa isa);
// chosen_isa()'s kernel.
void scale_int32_row(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y);

}  // namespace lowbit

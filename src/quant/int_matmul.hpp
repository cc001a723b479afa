// Integer matmuls of the quantized layers, the scalar reference: exact
// int32 dot products of int8 (or int4-in-int8) activations with int8
// weights, then one float rescale per (token, output).
#pragma once

#include <cstdint>

namespace lowbit {

// y[t, o] = (sum_i xq[t, i] * wq[o, i]) * x_step[t] * w_step[o]
// (w_step may be null: then every row uses w_step_all). Rescaled in double.
// Parallel over output rows with the global pool.
void int8_matmul_scaled(const int8_t* xq, const double* x_step, int64_t tokens, int64_t in, const int8_t* wq,
                        const float* w_step, double w_step_all, int64_t out, float* y);

}  // namespace lowbit

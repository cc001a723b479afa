// Integer matmuls of the quantized layers: exact integer dot products of
// quantized activations with quantized weights, then one float rescale per
// (token, output).
//
// They run on the f32 SGEMM: products and sums of integers are exact in
// f32 while every partial sum stays below 2^24, so the K dimension is cut
// into chunks short enough for that (1024 for int8 x int8) and the chunk
// results are added in double. The result is the exact integer sum, the
// same as an int64 loop, at SGEMM speed (training runs these every step).
#pragma once

#include <cstdint>

namespace lowbit {

// acc[t, o] = sum_i xq[t, i] * wq[o, i] exactly, for integer-valued f32
// inputs with |xq * wq| <= max_abs_product.
void exact_int_matmul(const float* xq, const float* wq, int64_t tokens, int64_t in, int64_t out,
                      double max_abs_product, double* acc);

// y[t, o] = (sum_i xq[t, i] * wq[o, i]) * x_step[t] * w_step[o]
// (w_step may be null: then every row uses w_step_all). Rescaled in double.
void int8_matmul_scaled(const int8_t* xq, const double* x_step, int64_t tokens, int64_t in, const int8_t* wq,
                        const float* w_step, double w_step_all, int64_t out, float* y);

// Its rescaling alone, for integer sums acc [tokens, out] another kernel made.
void scale_int32_sums(const int32_t* acc, const double* x_step, int64_t tokens, const float* w_step, double w_step_all,
                      int64_t out, float* y);

}  // namespace lowbit

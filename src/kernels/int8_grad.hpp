// The two backward products of a layer whose forward multiplies int8 codes
// (ternary weights w~ [out, in] times int8 activation codes q [tokens, in],
// y = (w~ . q) * scales), on AMX bf16 tiles:
//   input gradient   dx[t, i]  = scale * sum_o dy[t, o] * w~[o, i]
//   weight gradient  dw[o, i] += sum_t dy[t, o] * step[t] * q[t, i]
// Each product of a dy value (f32, split exactly into three bf16) with a
// code (exact in bf16) is exact; the sums are f32, in a fixed order that
// does not depend on the thread count. So the results are f32 GEMM results
// of the dequantized operands up to the order of the sums (and the one
// rounding of dy * scale / dy * step), at several times the SGEMM's speed.
// Only where amx_usable() (kernels/amx.hpp); the callers keep the SGEMM on
// dequantized operands for everything else. Work is split over the global
// pool (not reentrant: not from inside one of its jobs).
#pragma once

#include <cstdint>

#include "core/aligned_buffer.hpp"

namespace lowbit {

// w~ [out, in] in the input gradient's tile layout.
struct Int8GradWeights {
  int64_t out = 0, in = 0;
  AlignedBuffer tiles;
};
void pack_int8_grad_weights(const int8_t* w, int64_t out, int64_t in, Int8GradWeights& packed);
// dx [tokens, in] = scale * dy [tokens, out] . w~ (dx overwritten).
void int8_input_grad(const float* dy, int64_t tokens, const Int8GradWeights& w, float scale, float* dx);

// The codes q [tokens, in] transposed into the weight gradient's tile layout.
struct Int8GradCodes {
  int64_t tokens = 0, in = 0;
  AlignedBuffer tiles;
};
void pack_int8_grad_codes(const int8_t* q, int64_t tokens, int64_t in, Int8GradCodes& packed);
// dw [out, in] += dy [tokens, out]^T . (step * q).
void int8_weight_grad(const float* dy, int64_t out, const float* step, const Int8GradCodes& q, float* dw);

}  // namespace lowbit

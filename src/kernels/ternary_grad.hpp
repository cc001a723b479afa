// The input gradient through ternary weights without multiplies:
//   dx[t, i] = scale * sum_o dy[t, o] * w~[o, i],   w~ in {-1, 0, +1}
// (the backward of y = (w~ . x) * scale, the training path's b1.58 and
// H-BitLinear projections on CPUs without AMX).
//
// Three consecutive weights of a column, w~[3g..3g+2, i], take one of 27
// values; for a block of 16 tokens the 27 signed sums of dy[., 3g..3g+2]
// are tabulated once (vectors over the tokens), and every column then adds
// one table row per three weights: a byte load and a vector add with a
// memory operand where an SGEMM does three FMAs and their operand traffic.
// The tables of a few groups stay in L1 while every column reads them.
// Sums are f32 in one fixed order per output (table row (dy_0 + dy_1) +
// dy_2, then the groups in order), whatever the thread count or the ISA's
// vector width: every ISA's result is bit-identical to the portable one.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.hpp"
#include "kernels/isa.hpp"

namespace lowbit {

// w~ [out, in] as one byte per three weights down a column: [groups][in],
// groups = ceil(out / 3) (rows past `out` are zero), each byte the byte
// offset / 8 of its table row (code * 8, code = sum_j (w~[3g+j] + 1) 3^j).
struct TernaryGradWeights {
  int64_t out = 0, in = 0, groups = 0;
  AlignedBuffer codes;
};
void pack_ternary_grad_weights(const int8_t* w, int64_t out, int64_t in, TernaryGradWeights& packed);

// dx [tokens, in] = scale * dy [tokens, out] . w~ (dx overwritten), on the
// global pool (not from inside one of its jobs), with chosen_isa()'s kernel.
void ternary_input_grad(const float* dy, int64_t tokens, const TernaryGradWeights& w, float scale, float* dx);

// The forward through the same tables, on int8 activation codes:
//   y[t, o] = sum_i q[t, i] * w~[o, i]   (int32, exact)
// Table rows are int16 over 32 tokens, so a vector add serves twice the
// tokens of the f32 kernel above; the codes are packed down w~'s rows
// (groups of three inputs, a byte per output). Every ISA gives the same
// (exact) sums as the int8 GEMM kernels.
void pack_ternary_forward_weights(const int8_t* w, int64_t out, int64_t in, TernaryGradWeights& packed);
// y [tokens, out] (overwritten) = q [tokens, in] . w~^T, on the global pool.
void ternary_forward_i8(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, int32_t* y);
// The same sums rescaled as scale_int32_sums does (quant/int_matmul.hpp:
// y = float(sum * x_step[t] * w_scale) in double, the same bits), each
// 32-token block while its sums are still in cache.
void ternary_forward_i8_scaled(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, const double* x_step,
                               double w_scale, float* y);
// One ISA's single-threaded kernel: q and y start at the first of `tokens`.
using TernaryForwardFn = void (*)(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, int32_t* y);
TernaryForwardFn ternary_forward_for_isa(Isa isa);

// One ISA's single-threaded kernel on tokens [t0, t1), or null where this
// CPU or build lacks it (tests compare every one the host can run).
using TernaryGradFn = void (*)(const float* dy, int64_t t0, int64_t t1, const TernaryGradWeights& w, float scale,
                               float* dx);
TernaryGradFn ternary_grad_for_isa(Isa isa);

}  // namespace lowbit

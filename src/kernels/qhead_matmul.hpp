// y [T, rows] = x [T, cols] W^T for a weight W [rows, cols] stored in one of
// ggml's integer head formats (Q8_0, Q6_K, Q4_0; formats/kquant_formats.hpp),
// read in place: the tied embedding / output head at fewer bytes per decoded
// token than f16 (2560 columns: 2 bytes per weight in f16, 1.0625 in Q8_0,
// 0.82 in Q6_K, 0.5625 in Q4_0).
//
// Q8_0 and Q4_0 heads take int8 activations, as ggml's vec_dot_q8_0_q8_0
// and vec_dot_q4_0_q8_0: x is quantized per 32 to Q8_0 blocks (fp16 d_x,
// int8 codes; q8_0_from_float), each block's integer dot is scaled by
// d_w * d_x. Widening every code to f32 instead cost the same instructions
// per weight whatever the bytes, so those kernels were bound by the core,
// not by memory (Q4_0 slower than the f16 head; docs/PERFORMANCE.md). The
// activation rounding adds to each logit's error; --exact-greedy re-scores
// the candidates in f16 anyway. Q6_K keeps f32 activations (codes widened
// in registers, one FMA per 16-element scale group).
//
// Parallel over rows like f16_matmul: chunks of rows to whichever thread is
// free, one sequential row stream per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/format.hpp"
#include "kernels/isa.hpp"

namespace lowbit {

// x quantized to Q8_0 blocks (q8_0_from_float: fp16 d and 32 int8 codes per
// block) as the int8 kernels read it, T tokens of cols = 32 nb columns:
//   q   the codes [T, cols]: natural order, except for Q4_0 (below);
//   d   [T, nb] each block's d as f32 (converted once here, not per row);
//   ds  [T, nb] d * the sum of the block's codes. A Q4_0 weight is c - 8
//       with c the unsigned nibble, so a block's w.x = d_w (d_x sum c q -
//       8 ds): the kernels multiply the nibbles as they are and take
//       8 d_w ds off once per block instead of re-centering every code
//       (ggml's Q8_1 activation blocks carry the same sum).
// Q4_0 order: the 64 codes of each pair of blocks (2j, 2j + 1) are stored as
// [2j: 0..15][2j+1: 0..15][2j: 16..31][2j+1: 16..31] (an odd last block in
// natural order), so that two Q4_0 blocks' 32 nibble bytes, split into low
// and high nibbles, line up with two 32-byte loads of x.
struct QHeadActs {
  int64_t T = 0, nb = 0;
  bool q4_pairs = false;
  std::vector<int8_t> q;
  std::vector<float> d, ds;

  // From Q8_0 blocks xq [T, cols / 32] for the kernel of format f.
  void assign(Format f, const uint8_t* xq, int64_t tokens, int64_t cols);
  const int8_t* codes(int64_t t) const { return q.data() + t * nb * 32; }
  // Where codes [16 half, 16 half + 16) of block b of a token start, from codes(t).
  int64_t offset(int64_t b, int half) const {
    if (!q4_pairs || (b | 1) >= nb) return 32 * b + 16 * half;
    return 64 * (b / 2) + 16 * (b % 2) + 32 * half;
  }
};

// Rows [r0, r1) of y (row stride ldy); row r starts at w + r * row_bytes.
// f32 activations x [T, cols]:
using QRowsFn = void (*)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x,
                         int64_t T, float* y, int64_t ldy);
// Q8_0 activations (x.T == T):
using QRowsA8Fn = void (*)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                           const QHeadActs& x, int64_t T, float* y, int64_t ldy);

// One ISA's kernels, one per head format.
struct QHeadKernels {
  QRowsA8Fn q8_0 = nullptr;
  QRowsFn q6_k = nullptr;
  QRowsA8Fn q4_0 = nullptr;
};

// True for the formats whose kernel takes Q8_0 activations.
bool qhead_int8_activations(Format f);

// True for the formats that have head kernels.
bool qhead_format(Format f);
// One ISA's table, null where absent or unsupported (the scalar one works
// for every format through its to_float).
const QHeadKernels* qhead_kernels_for(Isa isa);
// The ISA of the table qhead_matmul uses.
Isa qhead_isa();

void qhead_matmul(Format f, const uint8_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y);

}  // namespace lowbit

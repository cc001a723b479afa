// y [T, rows] = x [T, cols] W^T for a weight W [rows, cols] stored in one of
// ggml's integer head formats (Q8_0, Q6_K, Q4_0; formats/kquant_formats.hpp),
// read in place: the tied embedding / output head at fewer bytes per decoded
// token than f16 (2560 columns: 2 bytes per weight in f16, 1.0625 in Q8_0,
// 0.82 in Q6_K, 0.5625 in Q4_0).
//
// Every head takes int8 activations, as ggml's vec_dot kernels: Q8_0 and
// Q4_0 rows against x quantized per 32 to Q8_0 blocks (fp16 d_x, int8
// codes; q8_0_from_float), each block's integer dot scaled by d_w * d_x;
// Q6_K rows against x quantized per 256 to Q8_K blocks (f32 d_x, int8
// codes, the sums of each 16; q8_k_from_float), each 16-element group's
// integer dot times its int8 scale summed in int32 over the 256, then
// scaled once by d_w * d_x. Widening every code to f32 instead cost the
// same instructions per weight whatever the bytes: those kernels were bound
// by the core, not by memory (Q4_0 slower than the f16 head, Q6_K at 59% of
// the read probe; docs/PERFORMANCE.md). The activation rounding adds to
// each logit's error (at most sum |w_i| d_x / 2); --exact-greedy re-scores
// the candidates in f16 anyway.
//
// Parallel over rows like f16_matmul: chunks of rows to whichever thread is
// free, one sequential row stream per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/format.hpp"
#include "kernels/isa.hpp"

namespace lowbit {

// x quantized as the int8 kernels of format f read it, T tokens of cols
// columns in nb blocks of `block` codes each: Q8_0 blocks (32) for Q8_0 and
// Q4_0, Q8_K blocks (256) for Q6_K.
//   q     the codes [T, cols]: natural order, except for Q4_0 (below);
//   d     [T, nb] each block's d as f32 (converted once here, not per row);
//   ds    Q8_0 blocks: [T, nb] d * the sum of the block's codes. A Q4_0
//         weight is c - 8 with c the unsigned nibble, so a block's w.x =
//         d_w (d_x sum c q - 8 ds): the kernels multiply the nibbles as they
//         are and take 8 d_w ds off once per block instead of re-centering
//         every code (ggml's Q8_1 activation blocks carry the same sum).
//   gsum  Q8_K blocks: [T, cols / 16] the sum of each 16 codes. A Q6_K
//         weight is d sc_g (c - 32) with c in 0..63: the x86 kernels
//         multiply the unsigned c (vpmaddubsw's operand order) and take
//         32 sc_g gsum_g off once per group.
// Q4_0 order: the 64 codes of each pair of blocks (2j, 2j + 1) are stored as
// [2j: 0..15][2j+1: 0..15][2j: 16..31][2j+1: 16..31] (an odd last block in
// natural order), so that two Q4_0 blocks' 32 nibble bytes, split into low
// and high nibbles, line up with two 32-byte loads of x.
struct QHeadActs {
  int64_t T = 0, cols = 0, nb = 0, block = 0;
  bool q4_pairs = false;
  std::vector<int8_t> q;
  std::vector<float> d, ds;
  std::vector<int16_t> gsum;

  // True where format f's kernel takes Q8_K blocks (Q6_K), false for Q8_0 ones.
  static bool q8_k_blocks(Format f);
  // x [tokens, cols] quantized to those blocks (the one quantizer of the
  // q-head path), then assign.
  void quantize(Format f, const float* x, int64_t tokens, int64_t cols);
  // From blocks xq [tokens, cols / block], Q8_K or Q8_0 as q8_k_blocks(f) says (ggml layouts).
  void assign(Format f, const uint8_t* xq, int64_t tokens, int64_t cols);
  const int8_t* codes(int64_t t) const { return q.data() + t * cols; }
  const int16_t* group_sums(int64_t t) const { return gsum.data() + t * (cols / 16); }
  // Where codes [16 half, 16 half + 16) of Q8_0 block b of a token start, from codes(t).
  int64_t offset(int64_t b, int half) const {
    if (!q4_pairs || (b | 1) >= nb) return 32 * b + 16 * half;
    return 64 * (b / 2) + 16 * (b % 2) + 32 * half;
  }
};

// Rows [r0, r1) of y (row stride ldy) against x (x.T == T); row r starts at
// w + r * row_bytes.
using QRowsA8Fn = void (*)(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols,
                           const QHeadActs& x, int64_t T, float* y, int64_t ldy);

// One ISA's kernels, one per head format.
struct QHeadKernels {
  QRowsA8Fn q8_0 = nullptr;
  QRowsA8Fn q6_k = nullptr;
  QRowsA8Fn q4_0 = nullptr;
};

// True for the formats that have head kernels.
bool qhead_format(Format f);
// One ISA's table, null where absent or unsupported (the scalar one works
// for every format through its to_float).
const QHeadKernels* qhead_kernels_for(Isa isa);
// The ISA of the table qhead_matmul uses.
Isa qhead_isa();

void qhead_matmul(Format f, const uint8_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y);

}  // namespace lowbit

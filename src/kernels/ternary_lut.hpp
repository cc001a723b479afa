// Ternary (W1.58) x int8 by table lookup (the T-MAC / bitnet.cpp TL
// strategy), the second strategy next to the 4-row tiled kernels of
// kernels/ternary_matmul.hpp; lowbit keeps whichever wins per shape (see
// docs/PERFORMANCE.md).
//
// Columns go in pairs (groups): a weight pair (w0, w1) is the 4-bit index
// 3 (w0 + 1) + (w1 + 1) (0..8). Per token and group, two 16-entry int8
// tables hold every possible w0 a0 + w1 a1 for the two nibbles of the
// activations (x = 16 xh + xl, xl in 0..15, xh in -8..7), so every entry
// fits int8 and the result is exact: sum w x = 16 sum H[idx] + sum L[idx].
// One vpshufb looks up 16 rows of one group at once. Weights are in row
// blocks of 16, see docs/FORMATS.md ("lut16"). Results equal
// ternary_matmul_i32 bit for bit.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/ternary_matmul.hpp"

namespace lowbit {

struct PackedTernaryLut {
  int64_t out = 0, in = 0;
  int64_t out_pad = 0, in_pad = 0;  // multiples of 16 and 8
  AlignedBuffer idx;                // out_pad * in_pad / 4 bytes: 4-bit pair indices
  int64_t n_quads() const { return in_pad / 8; }
  // 32 bytes for rows [16 b, 16 b + 16) x columns [8 q, 8 q + 8).
  const uint8_t* block(int64_t b, int64_t q) const { return idx.as<uint8_t>() + (b * n_quads() + q) * 32; }
};

// From ternary values w[out, in] (-1, 0, +1).
PackedTernaryLut pack_ternary_lut(const int8_t* w, int64_t out, int64_t in);

struct TernaryLutKernels {
  Isa isa;
  // raw[b * 16 + i] for row blocks [b0, b1) of one token: tables from
  // build_lut_tables.
  void (*dot_blocks)(const PackedTernaryLut& w, int64_t b0, int64_t b1, const int8_t* tables, int32_t* raw);
};
const TernaryLutKernels* ternary_lut_kernels_for(Isa isa);  // null where absent
const TernaryLutKernels& ternary_lut_kernels();             // chosen_isa()'s, or its fallback's
const TernaryLutKernels* scalar_ternary_lut_kernels();
const TernaryLutKernels* avx2_ternary_lut_kernels();

// The tables of one token (in_pad quantized activations): per column quad q,
// 128 bytes: L of groups 4q, 4q+1 | H of 4q, 4q+1 | L of 4q+2, 4q+3 | H of 4q+2, 4q+3.
void build_lut_tables(const int8_t* xq, int64_t in_pad, int8_t* tables);

// acc[t, o] = sum_k w[o, k] xq[t, k] (the same as ternary_matmul_i32).
void ternary_lut_matmul_i32(const PackedTernaryLut& w, const QuantizedActivations& xq, int32_t* acc,
                            const TernaryLutKernels& k = ternary_lut_kernels());

}  // namespace lowbit

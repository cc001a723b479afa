// Int8 x int8 -> int32 matrix products on AMX tiles, for weights packed
// once and multiplied many times (the ternary projections' forward in
// training, packed after each requantize):
//
//   acc[t, o] = sum_k w[o, k] * x[t, k]     w [out, in], x [T, in] int8
//
// exact (int32 sums of at most 2^17 products of |code| <= 128 cannot
// overflow for in <= 131072), so the same sums as every other int8 kernel.
// Only where amx_usable() (kernels/amx.hpp). Rows of x are split over the
// global pool (not reentrant: not from inside one of its jobs).
#pragma once

#include <cstdint>

#include "core/aligned_buffer.hpp"

namespace lowbit {

struct Int8TileWeights {
  int64_t out = 0, in = 0, in_pad = 0;  // in_pad: in rounded up to 64
  AlignedBuffer tiles;
};
void pack_int8_tile_weights(const int8_t* w, int64_t out, int64_t in, Int8TileWeights& packed);

// x: T rows of stride ldx >= w.in_pad, holding zeros from column in to in_pad.
void int8_tile_matmul_i32(const Int8TileWeights& w, const int8_t* x, int64_t ldx, int64_t T, int32_t* acc);
// The sums rescaled on the way out, as scale_int32_sums (quant/int_matmul.hpp)
// rescales them: y[t, o] = float(double(acc) * x_step[t] * w_step), bit for
// bit, without the int32 matrix.
void int8_tile_matmul_scaled(const Int8TileWeights& w, const int8_t* x, int64_t ldx, int64_t T, const double* x_step,
                             double w_step, float* y);

}  // namespace lowbit

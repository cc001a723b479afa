#include "kernels/int8_tile_matmul.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/amx.hpp"

namespace lowbit {

#if defined(__x86_64__)
namespace amx {  // kernels/amx/int8_tile_matmul_amx.cpp
void pack_b_int8_quads(const int8_t* w, int64_t out, int64_t in, int64_t in_pad, int64_t nt0, int64_t nt1,
                       int8_t* tiles);
void int8_tiles_i32(const int8_t* B, int64_t out, int64_t in_pad, const int8_t* x, int64_t ldx, int64_t m0, int64_t m1,
                    int32_t* acc, const double* x_step, double w_step, float* y);
}  // namespace amx
#endif

void pack_int8_tile_weights(const int8_t* w, int64_t out, int64_t in, Int8TileWeights& packed) {
  LOWBIT_CHECK(amx_usable(), "int8_tile_matmul: the AMX kernels cannot run on this machine");
  LOWBIT_CHECK(in > 0 && in <= 131072 && out > 0, "int8_tile_matmul: shape [{}, {}] out of range", out, in);
  packed.out = out, packed.in = in, packed.in_pad = (in + 63) / 64 * 64;
  const int64_t out_pad = (out + 31) / 32 * 32;
  const size_t bytes = size_t(out_pad * packed.in_pad);
  if (packed.tiles.size() < bytes) packed.tiles = AlignedBuffer(bytes);
#if defined(__x86_64__)
  ThreadPool::global().parallel_for(out_pad / 16, 1, [&](int64_t t0, int64_t t1) {
    amx::pack_b_int8_quads(w, out, in, packed.in_pad, t0, t1, packed.tiles.as<int8_t>());
  });
#endif
}

namespace {
void run(const Int8TileWeights& w, const int8_t* x, int64_t ldx, int64_t T, int32_t* acc, const double* x_step,
         double w_step, float* y) {
  LOWBIT_CHECK(ldx >= w.in_pad, "int8_tile_matmul: row stride {} below the padded width {}", ldx, w.in_pad);
#if defined(__x86_64__)
  ThreadPool::global().parallel_for((T + 31) / 32, 1, [&](int64_t b0, int64_t b1) {
    amx::int8_tiles_i32(w.tiles.as<int8_t>(), w.out, w.in_pad, x, ldx, b0 * 32, std::min(T, b1 * 32), acc, x_step,
                        w_step, y);
  });
#else
  (void)x, (void)T, (void)acc, (void)x_step, (void)w_step, (void)y;
#endif
}
}  // namespace

void int8_tile_matmul_i32(const Int8TileWeights& w, const int8_t* x, int64_t ldx, int64_t T, int32_t* acc) {
  run(w, x, ldx, T, acc, nullptr, 0.0, nullptr);
}

void int8_tile_matmul_scaled(const Int8TileWeights& w, const int8_t* x, int64_t ldx, int64_t T, const double* x_step,
                             double w_step, float* y) {
  run(w, x, ldx, T, nullptr, x_step, w_step, y);
}

}  // namespace lowbit

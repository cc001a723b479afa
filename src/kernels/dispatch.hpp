// One table of kernel entry points per instruction set, the one of
// chosen_isa() (kernels/isa.hpp: CPUID or LOWBIT_ISA). Callers never test
// the ISA themselves.
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"

namespace lowbit {

// Where the 2-bit codes of output row o, column chunk k (128 columns, 32
// bytes) live: data + (o / 4) * tile_stride + (o % 4) * row_stride +
// k * chunk_stride. Byte p of a chunk holds columns p, 32+p, 64+p, 96+p in
// bits 7:6, 5:4, 3:2, 1:0 (codes 0, 1, 2 = -1, 0, +1).
struct TernaryWeightsView {
  const uint8_t* data;
  int64_t tile_stride, row_stride, chunk_stride;
  int64_t n_chunks;  // in_pad / 128
  const uint8_t* chunk(int64_t o, int64_t k) const {
    return data + (o / 4) * tile_stride + (o % 4) * row_stride + k * chunk_stride;
  }
};

struct TernaryKernels {
  Isa isa;
  // Quantizes one token (see ternary_matmul.hpp): q[0, in_pad) with zeros
  // after `in`; sets *act_scale = gamma / 127 and returns sum q.
  int32_t (*quantize_act)(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale);
  // raw[t * raw_stride + (o - row_begin)] = sum_k code(o, k) * xq[t * x_stride + k]
  // with the unsigned codes 0..2, for rows [row_begin, row_end) (multiples of
  // 4) and tokens t < nt; xq rows are in_pad long.
  void (*dot_codes)(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                    int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride);
  // The activation-side transform of H-BitLinear: one normalized
  // Walsh-Hadamard block of n = 2^k >= 2 floats, in place (kernels/fwht.hpp).
  void (*fwht_block)(float* x, int64_t n);
  // f32 helpers of attention over the KV cache: sum a[i] * b[i], and
  // y += a * x. SIMD versions sum in their own order (not bit-exact).
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  void (*axpy_f32)(float a, const float* x, float* y, int64_t n);
};

// The table of chosen_isa(), chosen on first use.
const TernaryKernels& kernels();
// The table of one ISA, or null if it is not compiled in or the host cannot
// run it (tests skip those).
const TernaryKernels* kernels_for(Isa isa);

// Per-ISA tables (defined in kernels/<isa>/; null where not compiled).
const TernaryKernels* scalar_kernels();
const TernaryKernels* avx2_kernels();
const TernaryKernels* avxvnni_kernels();
const TernaryKernels* avx512_kernels();
const TernaryKernels* neon_kernels();

}  // namespace lowbit

// Kernels whose activations are int8 (A8) and whose weights are not
// ternary: int8 x int8 (LLM.int8, S5) and binary x int8 (BitLinear v1, S1).
// One table per instruction set, picked from chosen_isa() (kernels/isa.hpp)
// like every kernel family; callers never test the ISA themselves.
//
// Both kernels return exact int32 dot products, the same on every ISA.
#pragma once

#include <cstdint>

#include "kernels/dispatch.hpp"

namespace lowbit {

// Longest row the int8 kernels accept: |w x| <= 128 * 128 = 2^14 per term,
// so a sum of up to 2^17 - 1 terms fits int32.
inline constexpr int64_t kInt8MaxIn = (int64_t(1) << 17) - 1;

struct A8Kernels {
  Isa isa;
  // acc[t * acc_stride + r] = sum_{k < n} w[r * w_stride + k] * x[t * x_stride + k]
  // for rows r < rows and tokens t < nt; n <= kInt8MaxIn. Reads exactly the
  // n bytes of each row.
  void (*dot_i8)(const int8_t* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt,
                 int64_t n, int32_t* acc, int64_t acc_stride);
  // The same with weights +-1 packed 8 per byte, LSB first (bit k % 8 of
  // byte k / 8; 1 = +1, 0 = -1): acc = sum_{k < n} s[r, k] * x[t, k].
  // bits_stride (bytes per row) is a multiple of 8 and >= ceil(n / 64) * 8:
  // kernels read whole 64-bit words of a row and ignore bits past n.
  void (*dot_bin1)(const uint8_t* bits, int64_t bits_stride, int64_t rows, const int8_t* x, int64_t x_stride,
                   int64_t nt, int64_t n, int32_t* acc, int64_t acc_stride);
  // Packs one row of n entries into those bits (bit set for an entry > 0):
  // writes bytes [0, ceil(n / 8)), with zero bits past n.
  void (*pack_bin1)(const int8_t* s, int64_t n, uint8_t* dst);
};

// The table of chosen_isa() or its fallback (NEON has none: scalar).
const A8Kernels& a8_kernels();
// The table of one ISA, or null if it is not compiled in or the host cannot
// run it (tests skip those).
const A8Kernels* a8_kernels_for(Isa isa);

const A8Kernels* scalar_a8_kernels();
const A8Kernels* avx2_a8_kernels();
const A8Kernels* avxvnni_a8_kernels();
const A8Kernels* avx512_a8_kernels();

// The scalar pack_bin1, for the tails of the SIMD ones (n need not be a
// multiple of 8).
void pack_bin1_tail(const int8_t* s, int64_t n, uint8_t* dst);

}  // namespace lowbit

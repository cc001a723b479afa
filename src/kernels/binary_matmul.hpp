// Binary (1 bit per weight, +-1) x int8 matrix multiplication with int32
// accumulation: the integer core of BitLinear v1 (S1; nn/bit_linear.cpp
// adds beta per row group and the activation step):
//
//   acc[t, o] = sum_k s[o, k] * x[t, k]     s in {-1, +1}, x [T, in] int8
//
// exact on every ISA (kernels/a8_kernels.hpp). Threading as in
// kernels/int8_matmul.hpp.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.hpp"
#include "kernels/a8_kernels.hpp"

namespace lowbit {

// Sums of up to 2^23 terms of |x| <= 128 fit int32.
inline constexpr int64_t kBinaryMaxIn = int64_t(1) << 23;

// Sign bits, row-major: bit k % 8 of byte k / 8 of a row is 1 for +1; rows
// are padded with zero bits to row_bytes, a multiple of 8 (docs/FORMATS.md).
struct PackedBinary {
  int64_t out = 0, in = 0, row_bytes = 0;
  AlignedBuffer bits;
  const uint8_t* row(int64_t o) const { return bits.as<uint8_t>() + o * row_bytes; }
  int sign(int64_t o, int64_t k) const { return (row(o)[k >> 3] >> (k & 7)) & 1 ? 1 : -1; }
  int64_t bytes() const { return out * row_bytes; }
};

// From s [out, in]: entries > 0 are +1, the rest -1. Fast enough to run on
// every forward (SIMD compares straight into bit words).
PackedBinary pack_binary(const int8_t* s, int64_t out, int64_t in, const A8Kernels& k = a8_kernels());

void binary_matmul_i32(const PackedBinary& w, const int8_t* x, int64_t T, int32_t* acc,
                       const A8Kernels& k = a8_kernels());

}  // namespace lowbit

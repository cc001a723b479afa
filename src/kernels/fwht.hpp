// The fast Walsh-Hadamard transform of H-BitLinear (S3) in f32, vectorised:
// the same transform as quant/hadamard.hpp (normalized, block-diagonal with
// blocks of hadamard_block(n) = the largest power of two dividing n), for
// the inference path where it must cost a few percent of the GEMV it feeds.
// quant/ keeps the double-precision reference; this one rounds to f32 at
// each of the log2(block) butterfly stages (error <= about
// log2(block) * 2^-24 * ||x||_2 per element; the tests hold it to that), and
// every ISA gives the same bits as the scalar f32 loop.
#pragma once

#include <cstdint>

#include "kernels/dispatch.hpp"

namespace lowbit {

// In place on x[0, n).
void fwht_f32(float* x, int64_t n, const TernaryKernels& k = kernels());

}  // namespace lowbit

// The normalized fast Walsh-Hadamard transform of S3 (H-BitLinear):
// H_1 = [1], H_2n = [[H_n, H_n], [H_n, -H_n]] / sqrt(2), in O(n log n).
//
// A width n that is not a power of two is split into n / B blocks of
// B = hadamard_block(n) = the largest power of two dividing n (n & -n), and
// each block is transformed on its own (a block-diagonal Hadamard matrix).
// Every block is orthonormal and symmetric, so the transform is its own
// inverse and its own transpose: the backward pass is the same transform.
// Examples: 2560 -> 5 blocks of 512, 6912 -> 27 blocks of 256; an odd width
// gives blocks of 1, i.e. the identity.
#pragma once

#include <cstdint>

namespace lowbit {

int64_t hadamard_block(int64_t n);

// In place on x[0..n); sums in double, so the result is correctly rounded
// to f32 up to a few ulps whatever the width.
void fwht(float* x, int64_t n);

}  // namespace lowbit

// Single-precision matrix multiply for training and float layers:
//   C[M, N] = beta * C + op(A) op(B)
// op(A) is A [M, K] (row stride lda) or, with trans_a, the transpose of an
// A stored [K, M]; likewise op(B) is B [K, N] or, with trans_b, the
// transpose of a B stored [N, K] (PyTorch's Linear.weight is the trans_b
// case of x W^T). Row-major throughout. Multithreaded on the global pool;
// the ISA (AVX-512, AVX2 or portable vector extensions) is chosen_isa()'s
// (kernels/isa.hpp).
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"

namespace lowbit {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc);

// The same on the calling thread only, for callers that already split
// their work over the pool (one small product per thread).
void sgemm_single_thread(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                         const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The ISA of the implementation sgemm uses (kScalar: the portable one).
Isa sgemm_isa();

// One ISA's implementation, or null where this CPU or build lacks it (tests
// compare every implementation the host can run). kScalar is the portable
// one (GCC vector extensions, generic target).
using SgemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                         float*, int64_t);
SgemmFn sgemm_for_isa(Isa isa);

}  // namespace lowbit

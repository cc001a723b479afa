// Single-precision matrix multiply for training and float layers:
//   C[M, N] = beta * C + op(A) op(B)
// op(A) is A [M, K] (row stride lda) or, with trans_a, the transpose of an
// A stored [K, M]; likewise op(B) is B [K, N] or, with trans_b, the
// transpose of a B stored [N, K] (PyTorch's Linear.weight is the trans_b
// case of x W^T). Row-major throughout. Multithreaded on the global pool;
// the ISA (AVX-512, AVX2 or portable) is picked once from CPUID, overridable
// with LOWBIT_ISA=scalar|avx2|avx512.
#pragma once

#include <cstdint>
#include <string_view>

namespace lowbit {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc);

// The name of the implementation sgemm uses ("avx512", "avx2", "generic").
const char* sgemm_isa();

// One ISA's implementation by name, or null where this CPU lacks it (tests
// compare every implementation the host can run).
using SgemmFn = void (*)(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                         float*, int64_t);
SgemmFn sgemm_for_isa(std::string_view isa);

}  // namespace lowbit

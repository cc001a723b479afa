// The AVX-512 head GEMV table (kernels/qhead_matmul.hpp): the AVX2 kernels.
// With int8 activations one Q8_0/Q4_0 block pair or one Q6_K register of 32
// codes is one 256-bit vector, and those kernels stream at the read
// bandwidth (docs/PERFORMANCE.md); the table stays so that a wider kernel
// has its place.
#include <cstdint>

#include "kernels/qhead_matmul.hpp"

namespace lowbit::avx2 {
void q8_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy);
void q6_k_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy);
void q4_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy);
}  // namespace lowbit::avx2

namespace lowbit::avx512 {

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{avx2::q8_0_rows_a8, avx2::q6_k_rows_a8, avx2::q4_0_rows_a8};

}  // namespace lowbit::avx512

// The reference A8 kernels: plain loops that every SIMD path must match bit
// for bit. Every partial sum is bounded by n * 2^14 < 2^31 (n <= kInt8MaxIn),
// so int32 never overflows.
#include "kernels/a8_kernels.hpp"

namespace lowbit {

namespace {

void dot_i8_scalar(const int8_t* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt,
                   int64_t n, int32_t* acc, int64_t acc_stride) {
  for (int64_t t = 0; t < nt; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t* wr = w + r * w_stride;
      const int8_t* xt = x + t * x_stride;
      int32_t s = 0;
      for (int64_t k = 0; k < n; ++k) s += int32_t(wr[k]) * int32_t(xt[k]);
      acc[t * acc_stride + r] = s;
    }
}

void dot_bin1_scalar(const uint8_t* bits, int64_t bits_stride, int64_t rows, const int8_t* x, int64_t x_stride,
                     int64_t nt, int64_t n, int32_t* acc, int64_t acc_stride) {
  for (int64_t t = 0; t < nt; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* b = bits + r * bits_stride;
      const int8_t* xt = x + t * x_stride;
      int32_t s = 0;
      for (int64_t k = 0; k < n; ++k) s += (b[k >> 3] >> (k & 7)) & 1 ? xt[k] : -int32_t(xt[k]);
      acc[t * acc_stride + r] = s;
    }
}

const A8Kernels kScalarA8{Isa::kScalar, dot_i8_scalar, dot_bin1_scalar};

}  // namespace

const A8Kernels* scalar_a8_kernels() { return &kScalarA8; }

}  // namespace lowbit

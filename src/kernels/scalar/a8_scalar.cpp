// The reference A8 kernels: plain loops that every SIMD path must match bit
// for bit. Every partial sum is bounded by n * 2^14 < 2^31 (n <= kInt8MaxIn),
// so int32 never overflows.
#include <cstring>

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

// 8 entries -> one byte, LSB first, bit set for an entry > 0 (SWAR): per
// byte, bit 7 of ((b & 0x7F) + 0x7F) | b is "nonzero"; without the sign bit
// that is "> 0"; the multiply gathers bit 0 of each byte into the top byte.
inline uint8_t pack8(const int8_t* s) {
  uint64_t v;
  std::memcpy(&v, s, 8);
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full, kHigh = 0x8080808080808080ull;
  const uint64_t positive = (((v & kLow7) + kLow7) | v) & ~v & kHigh;
  return uint8_t(((positive >> 7) * 0x0102040810204080ull) >> 56);
}

void pack_bin1_scalar(const int8_t* s, int64_t n, uint8_t* dst) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) dst[k >> 3] = pack8(s + k);
  if (k == n) return;
  uint8_t last = 0;
  for (int64_t j = k; j < n; ++j) last |= uint8_t((s[j] > 0) << (j - k));
  dst[k >> 3] = last;
}

const A8Kernels kScalarA8{Isa::kScalar, dot_i8_scalar, dot_bin1_scalar, pack_bin1_scalar};

}  // namespace

const A8Kernels* scalar_a8_kernels() { return &kScalarA8; }

void pack_bin1_tail(const int8_t* s, int64_t n, uint8_t* dst) { pack_bin1_scalar(s, n, dst); }

}  // namespace lowbit

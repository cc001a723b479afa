#include "kernels/binary_matmul.hpp"

#include <cstring>

#include "core/error.hpp"
#include "kernels/a8_schedule.hpp"

namespace lowbit {

namespace {

// 8 entries -> one byte, LSB first, bit set for an entry > 0 (BitLinear
// packs on every forward, so this runs 8 at a time): per byte, bit 7 of
// ((b & 0x7F) + 0x7F) | b is "nonzero"; without the sign bit that is "> 0";
// the multiply gathers bit 0 of each byte into the top byte.
inline uint8_t pack8(const int8_t* s) {
  uint64_t v;
  std::memcpy(&v, s, 8);
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full, kHigh = 0x8080808080808080ull;
  const uint64_t positive = (((v & kLow7) + kLow7) | v) & ~v & kHigh;
  return uint8_t(((positive >> 7) * 0x0102040810204080ull) >> 56);
}

}  // namespace

PackedBinary pack_binary(const int8_t* s, int64_t out, int64_t in) {
  LOWBIT_CHECK(out >= 0 && in >= 0 && in <= kBinaryMaxIn, "binary pack: bad shape [{}, {}] (at most {} columns)", out,
               in, kBinaryMaxIn);
  PackedBinary p;
  p.out = out, p.in = in, p.row_bytes = (in + 63) / 64 * 8;
  p.bits = AlignedBuffer(size_t(p.bytes()));  // zeroed
  uint8_t* bits = p.bits.as<uint8_t>();
  for (int64_t o = 0; o < out; ++o) {
    const int8_t* row = s + o * in;
    uint8_t* dst = bits + o * p.row_bytes;
    int64_t k = 0;
    for (; k + 8 <= in; k += 8) dst[k >> 3] = pack8(row + k);
    for (; k < in; ++k)
      if (row[k] > 0) dst[k >> 3] |= uint8_t(1u << (k & 7));
  }
  return p;
}

void binary_matmul_i32(const PackedBinary& w, const int8_t* x, int64_t T, int32_t* acc, const A8Kernels& k) {
  LOWBIT_CHECK(T >= 0, "binary matmul: {} tokens", T);
  if (w.out == 0 || T == 0) return;
  detail::a8_for_blocks(w.out, w.row_bytes, T, [&](int64_t rb, int64_t re, int64_t t0, int64_t nt) {
    k.dot_bin1(w.row(rb), w.row_bytes, re - rb, x + t0 * w.in, w.in, nt, w.in, acc + t0 * w.out + rb, w.out);
  });
}

}  // namespace lowbit

#include "kernels/binary_matmul.hpp"

#include "core/error.hpp"
#include "kernels/a8_schedule.hpp"

namespace lowbit {

PackedBinary pack_binary(const int8_t* s, int64_t out, int64_t in, const A8Kernels& k) {
  LOWBIT_CHECK(out >= 0 && in >= 0 && in <= kBinaryMaxIn, "binary pack: bad shape [{}, {}] (at most {} columns)", out,
               in, kBinaryMaxIn);
  PackedBinary p;
  p.out = out, p.in = in, p.row_bytes = (in + 63) / 64 * 8;
  p.bits = AlignedBuffer(size_t(p.bytes()));  // zeroed
  for (int64_t o = 0; o < out; ++o) k.pack_bin1(s + o * in, in, p.bits.as<uint8_t>() + o * p.row_bytes);
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

// NEON head GEMVs (kernels/qhead_matmul.hpp): Q8_0 and Q4_0 rows with
// Q8_0 activations, Q6_K rows with Q8_K activations, all through sdot
// (dotprod). Checked against the x86 scalar kernels' tokens under qemu
// (tests/arm/generate_crosscheck.py).
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "core/half.hpp"
#include "formats/kquant_formats.hpp"
#include "kernels/qhead_matmul.hpp"
#include "kernels/qhead_rows.hpp"

namespace lowbit::neon {

namespace {

float load_fp16(const uint8_t* p) { return fp16_to_f32(detail::fp16_bits_at(p)); }

// Rows against Q8_0 activations: codes(block) gives the block's 32 weight
// codes as two vectors (elements 0..15, 16..31) as the kernels multiply them
// (Q4_0: unsigned nibbles, the -8 taken off through x.ds, kOffset = -8);
// sdot sums them with x's.
template <int64_t kBytes, int kOffset, class Codes>
void rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x, int64_t T,
             float* y, int64_t ldy, Codes codes) {
  const int64_t nb = cols / 32;
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const int8_t* xt = x.codes(t);
    const float* xd = x.d.data() + t * nb;
    const float* xds = x.ds.data() + t * nb;
    float32x4_t acc = vdupq_n_f32(0);
    float off = 0;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = row + b * kBytes;
      int8x16_t q0, q1;
      codes(blk, q0, q1);
      const int32x4_t s =
          vdotq_s32(vdotq_s32(vdupq_n_s32(0), q0, vld1q_s8(xt + x.offset(b, 0))), q1, vld1q_s8(xt + x.offset(b, 1)));
      const float dw = load_fp16(blk);
      acc = vfmaq_n_f32(acc, vcvtq_f32_s32(s), dw * xd[b]);
      if constexpr (kOffset != 0) off += dw * xds[b];
    }
    return vaddvq_f32(acc) + float(kOffset) * off;
  });
}

void q8_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  rows_a8<kQ8BlockBytes, 0>(w, row_bytes, r0, r1, cols, x, T, y, ldy,
                            [](const uint8_t* blk, int8x16_t& q0, int8x16_t& q1) {
                              const auto* q = reinterpret_cast<const int8_t*>(blk + 2);
                              q0 = vld1q_s8(q), q1 = vld1q_s8(q + 16);
                            });
}

void q4_0_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  rows_a8<kQ4BlockBytes, -8>(w, row_bytes, r0, r1, cols, x, T, y, ldy,
                             [](const uint8_t* blk, int8x16_t& q0, int8x16_t& q1) {
                               const uint8x16_t qs = vld1q_u8(blk + 2);
                               q0 = vreinterpretq_s8_u8(vandq_u8(qs, vdupq_n_u8(0x0F)));
                               q1 = vreinterpretq_s8_u8(vshrq_n_u8(qs, 4));
                             });
}

// One Q6_K block against a Q8_K block xb, in the layout of the x86
// kernels' q6_k_block: 16 elements (one scale group) per sdot, the codes
// re-centred (c - 32 fits int8, so no group sums are needed here), the
// group's int32 sums times its scale.
int32x4_t q6_k_block(const uint8_t* blk, const int8_t* xb) {
  const auto* sc = reinterpret_cast<const int8_t*>(blk + 192);
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(3);
  const int8x16_t off = vdupq_n_s8(32);
  int32x4_t acc = vdupq_n_s32(0);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = blk + 64 * half;
    const uint8_t* qh = blk + 128 + 32 * half;
    for (int j = 0; j < 2; ++j) {
      const uint8x16_t l0 = vld1q_u8(ql + 16 * j), l1 = vld1q_u8(ql + 32 + 16 * j), h = vld1q_u8(qh + 16 * j);
      const uint8x16_t q[4] = {
          vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(h, m3), 4)),
          vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 2), m3), 4)),
          vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 4), m3), 4)),
          vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(h, 6), 4)),
      };
      for (int i = 0; i < 4; ++i) {
        const int g = 8 * half + 2 * i + j;
        const int32x4_t s = vdotq_s32(vdupq_n_s32(0), vsubq_s8(vreinterpretq_s8_u8(q[i]), off),
                                      vld1q_s8(xb + 128 * half + 32 * i + 16 * j));
        acc = vmlaq_n_s32(acc, s, sc[g]);
      }
    }
  }
  return acc;
}

void q6_k_rows_a8(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                  int64_t T, float* y, int64_t ldy) {
  const int64_t nb = cols / kQ6KBlock;
  detail::q_rows(w, row_bytes, r0, r1, T, y, ldy, [&](const uint8_t* row, int64_t t) {
    const int8_t* xt = x.codes(t);
    const float* xd = x.d.data() + t * nb;
    return detail::blocks_dot<kQ6KBlockBytes>(
        row, nb, vdupq_n_f32(0),
        [&](const uint8_t* blk, int64_t b, float32x4_t& acc) {
          acc = vfmaq_n_f32(acc, vcvtq_f32_s32(q6_k_block(blk, xt + b * kQ6KBlock)), load_fp16(blk + 208) * xd[b]);
        },
        [](const float32x4_t(&acc)[4]) {
          return vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
        });
  });
}

}  // namespace

extern const QHeadKernels kQHeadKernels;
const QHeadKernels kQHeadKernels{q8_0_rows_a8, q6_k_rows_a8, q4_0_rows_a8};

}  // namespace lowbit::neon

// NEON (ARMv8.2 dotprod) ternary kernels. Byte shifts on NEON do not leak
// bits between lanes, so the top column group needs no mask; codes 0..2 are
// valid signed bytes, so sdot multiplies them with the int8 activations
// directly. The activation quantizer is the scalar one (exact, and a small
// share of a GEMV). Checked against the scalar table under qemu:
// tests/kernels/neon_crosscheck.sh.
#include <arm_neon.h>

#include "kernels/dispatch.hpp"
#include "kernels/scalar/fwht_scalar.hpp"
#include "kernels/scalar/act_quant_scalar.hpp"
#include "kernels/scalar/vec_f32_scalar.hpp"

namespace lowbit {

namespace {

// NB tokens times the 4 rows of the tile at o0.
template <int NB>
void tile_tokens(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int64_t x_stride, int32_t* raw,
                 int64_t raw_stride) {
  int32x4_t acc[4][NB];
  for (int r = 0; r < 4; ++r)
    for (int t = 0; t < NB; ++t) acc[r][t] = vdupq_n_s32(0);
  const uint8x16_t mask = vdupq_n_u8(3);
  const int64_t cs = w.chunk_stride;
  const uint8_t* rows[4] = {w.chunk(o0, 0), w.chunk(o0 + 1, 0), w.chunk(o0 + 2, 0), w.chunk(o0 + 3, 0)};
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    const int8_t* xk = xq + 128 * k;
    for (int r = 0; r < 4; ++r) {
      for (int h = 0; h < 2; ++h) {  // two 16-byte halves of the 32-byte chunk
        const uint8x16_t b = vld1q_u8(rows[r] + k * cs + 16 * h);
        const int8x16_t c0 = vreinterpretq_s8_u8(vshrq_n_u8(b, 6));
        const int8x16_t c1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(b, 4), mask));
        const int8x16_t c2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(b, 2), mask));
        const int8x16_t c3 = vreinterpretq_s8_u8(vandq_u8(b, mask));
        for (int t = 0; t < NB; ++t) {
          const int8_t* x = xk + t * x_stride + 16 * h;
          int32x4_t a = acc[r][t];
          a = vdotq_s32(a, c0, vld1q_s8(x));
          a = vdotq_s32(a, c1, vld1q_s8(x + 32));
          a = vdotq_s32(a, c2, vld1q_s8(x + 64));
          a = vdotq_s32(a, c3, vld1q_s8(x + 96));
          acc[r][t] = a;
        }
      }
    }
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < 4; ++r) raw[t * raw_stride + r] = vaddvq_s32(acc[r][t]);
}

void dot_codes_neon(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                    int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    int64_t t = 0;
    for (; t + 2 <= nt; t += 2) tile_tokens<2>(w, o, xq + t * x_stride, x_stride, r + t * raw_stride, raw_stride);
    for (; t < nt; ++t) tile_tokens<1>(w, o, xq + t * x_stride, x_stride, r + t * raw_stride, raw_stride);
  }
}

const TernaryKernels kNeon{Isa::kNeon, quantize_act_scalar, dot_codes_neon, fwht_block_scalar,
                            dot_f32_scalar, axpy_f32_scalar};

}  // namespace

const TernaryKernels* neon_kernels() { return &kNeon; }

}  // namespace lowbit

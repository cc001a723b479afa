#include "formats/kquant_formats.hpp"

#include <cmath>
#include <cstring>

#include "core/half.hpp"

namespace lowbit {

namespace {
float load_fp16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_f32(h);
}
}  // namespace

void q8_0_to_float(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const uint8_t* blk = p + b * kQ8BlockBytes;
    const float d = load_fp16(blk);
    for (int j = 0; j < kQ8Block; ++j) dst[b * kQ8Block + j] = float(int8_t(blk[2 + j])) * d;
  }
}

// ggml's quantize_row_q8_0_ref: d = absmax / 127 in f32, codes from the f32
// reciprocal rounded half away from zero (roundf), d stored as fp16.
void q8_0_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float* x = src + b * kQ8Block;
    uint8_t* blk = p + b * kQ8BlockBytes;
    float amax = 0.0f;
    for (int j = 0; j < kQ8Block; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t h = f32_to_fp16(d);
    std::memcpy(blk, &h, 2);
    for (int j = 0; j < kQ8Block; ++j) blk[2 + j] = uint8_t(int8_t(std::roundf(x[j] * id)));
  }
}

// Each 128-element half of a block takes 64 bytes of ql (low 4 bits), 32 of
// qh (high 2 bits) and 8 scales; element l + 32i of the half (i = 0..3) has
// its low nibble in ql[l + 32(i%2)] (low nibble for i < 2, high for i >= 2)
// and its high bits at qh[l] bits 2i+1:2i; value = d * sc * (q - 32).
void q6_k_to_float(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kQ6KBlock; ++b) {
    const uint8_t* blk = p + b * kQ6KBlockBytes;
    const float d = load_fp16(blk + 208);
    float* y = dst + b * kQ6KBlock;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = blk + 64 * half;
      const uint8_t* qh = blk + 128 + 32 * half;
      const auto* sc = reinterpret_cast<const int8_t*>(blk + 192 + 8 * half);
      float* yh = y + 128 * half;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        yh[l] = d * float(sc[is + 0]) * float(q1);
        yh[l + 32] = d * float(sc[is + 2]) * float(q2);
        yh[l + 64] = d * float(sc[is + 4]) * float(q3);
        yh[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

}  // namespace lowbit

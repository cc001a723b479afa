#include "formats/ternary_formats.hpp"

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/half.hpp"

namespace lowbit {

namespace {

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

// ggml's block scale: absmax in f32; codes use the f32 reciprocal, the block
// stores fp16(d). Rounding is lroundf (half away from zero), as in ggml.
float block_absmax(const float* x, int64_t n) {
  float amax = 0.0f;
  for (int64_t j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  return amax;
}
int ternary_code(float x, float id) { return int(std::lroundf(x * id)) + 1; }

// TQ1_0 stores q in 0..242 as ceil(q * 256 / 243) so that the decoder can
// pull each trit out with one multiply and a shift (see tq1_trit).
uint8_t tq1_byte(int q) { return uint8_t((q * 256 + 242) / 243); }
int tq1_trit(uint8_t b, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const uint8_t q = uint8_t(b * kPow3[n]);  // multiply modulo 256
  return (int(q) * 3) >> 8;
}

// The skeleton TQ1_0 and TQ2_0 share. To float: each block through its
// decoder, times its scale.
void blocks_to_float(const void* src, float* dst, int64_t n, int64_t block, int64_t block_bytes,
                     float (*decode)(const uint8_t*, int8_t*)) {
  const auto* p = static_cast<const uint8_t*>(src);
  int8_t t[256];
  for (int64_t b = 0; b < n / block; ++b) {
    const float d = decode(p + b * block_bytes, t);
    for (int64_t e = 0; e < block; ++e) dst[b * block + e] = float(t[e]) * d;
  }
}

// From float: the block's absmax scale d, encode(x, 1/d, y) for the codes,
// fp16(d) in the last two bytes.
template <class Encode>
void blocks_from_float(const float* src, void* dst, int64_t n, int64_t block, int64_t block_bytes, Encode encode) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / block; ++b) {
    const float* x = src + b * block;
    uint8_t* y = p + b * block_bytes;
    const float d = block_absmax(x, block), id = d != 0.0f ? 1.0f / d : 0.0f;
    encode(x, id, y);
    store_u16(y + block_bytes - 2, f32_to_fp16(d));
  }
}

}  // namespace

// ---------------------------------------------------------------- TQ2_0

float tq2_0_decode_block(const uint8_t* block, int8_t* t) {
  for (int c = 0; c < 2; ++c)
    for (int l = 0; l < 4; ++l)
      for (int m = 0; m < 32; ++m) t[128 * c + 32 * l + m] = int8_t(((block[32 * c + m] >> (2 * l)) & 3) - 1);
  return fp16_to_f32(load_u16(block + 64));
}

void tq2_0_to_float(const void* src, float* dst, int64_t n) {
  blocks_to_float(src, dst, n, kTq2Block, kTq2BlockBytes, tq2_0_decode_block);
}

void tq2_0_from_float(const float* src, void* dst, int64_t n) {
  blocks_from_float(src, dst, n, kTq2Block, kTq2BlockBytes, [](const float* x, float id, uint8_t* y) {
    for (int c = 0; c < 2; ++c)
      for (int m = 0; m < 32; ++m) {
        int q = 0;
        for (int l = 0; l < 4; ++l) q |= (ternary_code(x[128 * c + 32 * l + m], id) & 3) << (2 * l);
        y[32 * c + m] = uint8_t(q);
      }
  });
}

// ---------------------------------------------------------------- TQ1_0
// Element order: elements [0,160) are 5 trits of qs[0..31] (trit n of byte m
// is element 32n + m), [160,240) are 5 trits of qs[32..47] (element
// 160 + 16n + m), [240,256) are the top 4 trits of qh[0..3] (element
// 240 + 4n + j). Trit 0 is the most significant.

float tq1_0_decode_block(const uint8_t* block, int8_t* t) {
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) t[32 * n + m] = int8_t(tq1_trit(block[m], n) - 1);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) t[160 + 16 * n + m] = int8_t(tq1_trit(block[32 + m], n) - 1);
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j) t[240 + 4 * n + j] = int8_t(tq1_trit(block[48 + j], n) - 1);
  return fp16_to_f32(load_u16(block + 52));
}

void tq1_0_to_float(const void* src, float* dst, int64_t n) {
  blocks_to_float(src, dst, n, kTq1Block, kTq1BlockBytes, tq1_0_decode_block);
}

void tq1_0_from_float(const float* src, void* dst, int64_t n) {
  blocks_from_float(src, dst, n, kTq1Block, kTq1BlockBytes, [](const float* x, float id, uint8_t* y) {
    // 5 trits per byte of qs[0..47] (elements 32n + m, then 160 + 16n + m),
    // 4 in the top positions of qh[0..3] (elements 240 + 4n + j).
    auto pack = [&](int first, int stride, int trits, int byte) {
      int q = 0;
      for (int i = 0; i < trits; ++i) q = q * 3 + ternary_code(x[first + stride * i], id);
      y[byte] = tq1_byte(trits == 5 ? q : q * 3);
    };
    for (int m = 0; m < 32; ++m) pack(m, 32, 5, m);
    for (int m = 0; m < 16; ++m) pack(160 + m, 16, 5, 32 + m);
    for (int j = 0; j < 4; ++j) pack(240 + j, 4, 4, 48 + j);
  });
}

// ---------------------------------------------------------------- I2_S

float i2_s_scale(const uint8_t* data, int64_t n) {
  float s;
  std::memcpy(&s, data + n / 4, 4);
  return s;
}

void i2_s_to_float(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  const float s = i2_s_scale(p, n);
  for (int64_t e = 0; e < n; ++e) dst[e] = float(i2_s_code(p, e) - 1) * s;
}

// bitnet.cpp's quantize_i2_s: the scale is max|w| over the whole tensor and
// each code only keeps the sign (|w| < 1e-6 counts as zero): it expects an
// already ternarized tensor {-s, 0, +s}.
void i2_s_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  double amax = 0;
  // A compare, not std::fmax (the same result: a NaN never wins either way):
  // GCC 12 for AArch64 crashes vectorizing an fmax reduction over doubles
  // (internal compiler error in vect_transform_reduction at -O3).
  for (int64_t e = 0; e < n; ++e) {
    const double a = std::fabs(double(src[e]));
    if (a > amax) amax = a;
  }
  std::memset(p, 0, size_t(n / 4 + kI2sTrailerBytes));
  for (int64_t e = 0; e < n; ++e) {
    const double v = src[e];
    const int code = std::fabs(v) < 1e-6 ? 1 : (v * amax > 0 ? 2 : 0);
    const int64_t b = e / kI2sBlock, j = e % kI2sBlock;
    p[b * kI2sBlockBytes + j % 32] |= uint8_t(code << (6 - 2 * (j / 32)));
  }
  const float s = float(amax);
  std::memcpy(p + n / 4, &s, 4);
}

}  // namespace lowbit

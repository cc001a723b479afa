#include "formats/kquant_formats.hpp"

#include <algorithm>
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
void store_fp16(uint8_t* p, float v) {
  const uint16_t h = f32_to_fp16(v);
  std::memcpy(p, &h, 2);
}

// x[0..n) as int8 codes round(x / d) with d = absmax / 127 (codes from the
// f32 reciprocal, rounded half away from zero: ggml's Q8_0 rule); returns d.
// Q8_0 and Q8_K blocks (the q-head activations) both quantize this way.
float absmax_int8(const float* x, int64_t n, int8_t* q) {
  float amax = 0.0f;
  for (int64_t j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int64_t j = 0; j < n; ++j) q[j] = int8_t(std::roundf(x[j] * id));
  return d;
}

// ggml's nearest_int (adding 1.5 * 2^23): round half to even, as rint in
// the default rounding mode, for the |v| < 2^22 the quantizers produce.
int nearest_int(float v) { return int(std::nearbyint(v)); }

// ggml's make_qx_quants(16, 32, x, L, rmse_type 1, no weights), the Q6_K
// sub-block fit: codes L in [0, 63] (q + 32) and the scale that minimises
// the x^2-weighted error over 19 trial reciprocals -(32 + 0.1 is) / max.
// Every step in float in ggml's order: the bytes depend on it.
float q6_k_fit_subblock(const float* x, int8_t* L) {
  constexpr int n = 16, nmax = 32;
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) amax = ax, max = x[i];
  }
  if (amax < 1e-15f) {  // ggml's GROUP_MAX_EPS: all zero
    std::fill(L, L + n, int8_t(0));
    return 0.0f;
  }
  auto code = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  float iscale = float(-nmax) / max, sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = code(iscale, i);
    L[i] = int8_t(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(float(nmax) + 0.1f * float(is)) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = code(iscale, i);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * float(l);
      suml2 += w * float(l) * float(l);
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = int8_t(code(iscale, i) + nmax);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
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
    uint8_t* blk = p + b * kQ8BlockBytes;
    store_fp16(blk, absmax_int8(src + b * kQ8Block, kQ8Block, reinterpret_cast<int8_t*>(blk + 2)));
  }
}

// ggml's block_q8_K {f32 d; int8 qs[256]; int16 bsums[16]} with the Q8_0
// rule (d positive; ggml's own quantize_row_q8_K takes d from the signed
// extreme, which gives other codes: these blocks are an activation format,
// never in a file).
void q8_k_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / kQ8KBlock; ++b) {
    uint8_t* blk = p + b * kQ8KBlockBytes;
    auto* q = reinterpret_cast<int8_t*>(blk + 4);
    const float d = absmax_int8(src + b * kQ8KBlock, kQ8KBlock, q);
    std::memcpy(blk, &d, 4);
    for (int g = 0; g < kQ8KBlock / 16; ++g) {
      int16_t s = 0;
      for (int j = 0; j < 16; ++j) s = int16_t(s + q[16 * g + j]);
      std::memcpy(blk + 4 + kQ8KBlock + 2 * g, &s, 2);
    }
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

// ggml's quantize_row_q6_K_ref: each 16-element sub-block fitted on its
// own, the 16 scales then quantized to int8 against the one of largest
// magnitude (d = max_scale / -128 in fp16), and the codes recomputed from
// the stored d * sc (sub-blocks whose d * sc is 0 keep their fitted codes).
void q6_k_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / kQ6KBlock; ++b) {
    const float* x = src + b * kQ6KBlock;
    uint8_t* blk = p + b * kQ6KBlockBytes;
    int8_t L[kQ6KBlock];
    float scales[16], max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = q6_k_fit_subblock(x + 16 * ib, L + 16 * ib);
      if (std::fabs(scales[ib]) > max_abs_scale) max_abs_scale = std::fabs(scales[ib]), max_scale = scales[ib];
    }
    std::memset(blk, 0, size_t(kQ6KBlockBytes));
    if (max_abs_scale < 1e-15f) continue;  // all zero: d = 0 and zero bytes, as ggml writes
    const float iscale = -128.0f / max_scale;
    store_fp16(blk + 208, 1 / iscale);
    auto* sc = reinterpret_cast<int8_t*>(blk + 192);
    for (int ib = 0; ib < 16; ++ib) sc[ib] = int8_t(std::min(127, nearest_int(iscale * scales[ib])));
    const float d_all = load_fp16(blk + 208);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * float(sc[j]);
      if (d == 0.0f) continue;
      for (int i = 0; i < 16; ++i) L[16 * j + i] = int8_t(std::clamp(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
    }
    // The layout q6_k_to_float reads (above).
    for (int half = 0; half < 2; ++half) {
      const int8_t* Lh = L + 128 * half;
      uint8_t* ql = blk + 64 * half;
      uint8_t* qh = blk + 128 + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = uint8_t((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
        ql[l + 32] = uint8_t((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
        qh[l] = uint8_t((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
      }
    }
  }
}

// Element j of a block is the low nibble of qs[j], element j + 16 the high
// nibble; value = d * (q - 8).
void q4_0_to_float(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kQ4Block; ++b) {
    const uint8_t* blk = p + b * kQ4BlockBytes;
    const float d = load_fp16(blk);
    for (int j = 0; j < 16; ++j) {
      dst[b * kQ4Block + j] = float((blk[2 + j] & 0xF) - 8) * d;
      dst[b * kQ4Block + j + 16] = float((blk[2 + j] >> 4) - 8) * d;
    }
  }
}

// ggml's quantize_row_q4_0_ref: d = (the signed value of largest magnitude,
// the first one on a tie) / -8, so that value takes code 0 (-8 d); codes
// trunc(x / d + 8.5) capped at 15, with the f32 reciprocal. x * id + 8.5 is
// rounded once, as llama.cpp's builds compute it (the compiler fuses it into
// an FMA) and as its gguf-py quantizer does (in double, then to f32):
// rounding the product first moves about one block in 1600.
void q4_0_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < n / kQ4Block; ++b) {
    const float* x = src + b * kQ4Block;
    uint8_t* blk = p + b * kQ4BlockBytes;
    float amax = 0, max = 0;
    for (int j = 0; j < kQ4Block; ++j)
      if (amax < std::fabs(x[j])) amax = std::fabs(x[j]), max = x[j];
    const float d = max / -8, id = d != 0.0f ? 1.0f / d : 0.0f;
    store_fp16(blk, d);
    auto code = [&](float v) { return std::min(15, int(float(double(v) * double(id) + 8.5))); };
    for (int j = 0; j < 16; ++j) blk[2 + j] = uint8_t(code(x[j]) | (code(x[j + 16]) << 4));
  }
}

}  // namespace lowbit

// Repacking ternary weights into the run-time layouts (done once, at load).
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/half.hpp"
#include "formats/ternary_formats.hpp"
#include "kernels/ternary_matmul.hpp"

namespace lowbit {

namespace {

PackedTernary make_empty(int64_t out, int64_t in, TernaryLayout layout) {
  LOWBIT_CHECK(out > 0 && in > 0, "ternary weights: bad shape [{}, {}]", out, in);
  LOWBIT_CHECK(in <= kTernaryMaxIn, "ternary weights [{}, {}]: rows longer than {} are not supported", out, in,
               kTernaryMaxIn);
  LOWBIT_CHECK(layout != TernaryLayout::kI2sRows || in % 128 == 0,
               "ternary weights [{}, {}]: the I2_S row layout needs in % 128 == 0", out, in);
  PackedTernary p;
  p.out = out, p.in = in, p.layout = layout;
  p.out_pad = (out + 3) / 4 * 4;
  p.in_pad = (in + 127) / 128 * 128;
  p.codes = AlignedBuffer(size_t(p.code_bytes()));
  std::memset(p.codes.data(), 0x55, size_t(p.code_bytes()));  // code 1 = weight 0 everywhere (padding)
  p.row_scale.assign(size_t(p.out_pad), 0.0f);
  return p;
}

// Writes one row of ternary values (in entries) into its chunks.
void put_row(PackedTernary& p, int64_t o, const int8_t* t) {
  const TernaryWeightsView v = p.view();
  auto* base = p.codes.data();
  for (int64_t k = 0; k < v.n_chunks; ++k) {
    auto* c = reinterpret_cast<uint8_t*>(base) + (v.chunk(o, k) - v.data);
    const int64_t col0 = 128 * k;
    if (col0 + 128 <= p.in) {
      const int8_t* tk = t + col0;
      for (int q = 0; q < 32; ++q)
        c[q] = uint8_t((tk[q] + 1) << 6 | (tk[32 + q] + 1) << 4 | (tk[64 + q] + 1) << 2 | (tk[96 + q] + 1));
    } else {
      for (int q = 0; q < 32; ++q) {
        int byte = 0;
        for (int g = 0; g < 4; ++g) {
          const int64_t col = col0 + 32 * g + q;
          byte |= (col < p.in ? t[col] + 1 : 1) << (6 - 2 * g);
        }
        c[q] = uint8_t(byte);
      }
    }
  }
}

void check_ternary_row(const int8_t* t, int64_t in, const char* what, int64_t o) {
  for (int64_t k = 0; k < in; ++k)
    LOWBIT_CHECK(t[k] >= -1 && t[k] <= 1, "{} weights: value {} at row {}, column {} is not ternary", what, int(t[k]),
                 o, k);
}

// True if a byte of 2-bit codes holds a 3 (never written by any format).
inline bool has_code3(uint8_t b) { return (b & (b >> 1) & 0x55) != 0; }

// TQ2_0 keeps column group l of a 128-column half in bits 2l+1:2l, lowbit
// (and I2_S) in bits 7-2l:6-2l: the same fields in reverse order.
constexpr std::array<uint8_t, 256> kReversePairs = [] {
  std::array<uint8_t, 256> t{};
  for (int b = 0; b < 256; ++b)
    t[size_t(b)] = uint8_t((b & 3) << 6 | ((b >> 2) & 3) << 4 | ((b >> 4) & 3) << 2 | (b >> 6));
  return t;
}();

// TQ1_0: the 5 trits (codes 0..2, most significant first) of every byte,
// by ggml's multiply-and-take-the-top-bits rule.
constexpr std::array<std::array<uint8_t, 5>, 256> kTq1Trits = [] {
  std::array<std::array<uint8_t, 5>, 256> t{};
  constexpr int kPow3[5] = {1, 3, 9, 27, 81};
  for (int b = 0; b < 256; ++b)
    for (int n = 0; n < 5; ++n) t[size_t(b)][size_t(n)] = uint8_t((((b * kPow3[n]) & 0xFF) * 3) >> 8);
  return t;
}();

uint8_t* chunk_ptr(PackedTernary& p, const TernaryWeightsView& v, int64_t o, int64_t k) {
  return p.codes.as<uint8_t>() + (v.chunk(o, k) - v.data);
}

}  // namespace

TernaryWeightsView PackedTernary::view() const {
  const auto* d = codes.as<uint8_t>();
  if (layout == TernaryLayout::kTiled4) return {d, in_pad, 32, 128, in_pad / 128};
  return {d, in_pad, in_pad / 4, 32, in_pad / 128};
}

int PackedTernary::weight(int64_t o, int64_t k) const {
  const uint8_t* c = view().chunk(o, k / 128);
  const int j = int(k % 128);
  return ((c[j % 32] >> (6 - 2 * (j / 32))) & 3) - 1;
}

PackedTernary pack_ternary_rows(const int8_t* w, int64_t out, int64_t in, const float* row_scales,
                                TernaryLayout layout) {
  PackedTernary p = make_empty(out, in, layout);
  for (int64_t o = 0; o < out; ++o) {
    check_ternary_row(w + o * in, in, "ternary", o);
    put_row(p, o, w + o * in);
    p.row_scale[size_t(o)] = row_scales[o];
  }
  return p;
}

PackedTernary pack_ternary(const int8_t* w, int64_t out, int64_t in, float scale, TernaryLayout layout) {
  std::vector<float> s(size_t(out), scale);
  return pack_ternary_rows(w, out, in, s.data(), layout);
}

// Each 128-column half of a TQ2_0 block becomes one chunk by reversing the
// order of the 2-bit fields in every byte: no decoding to values.
PackedTernary pack_tq2_0(const void* data, int64_t out, int64_t in, TernaryLayout layout) {
  LOWBIT_CHECK(in % 256 == 0, "tq2_0 tensor [{}, {}]: in is not a multiple of 256", out, in);
  PackedTernary p = make_empty(out, in, layout);
  const TernaryWeightsView v = p.view();
  const auto* bytes = static_cast<const uint8_t*>(data);
  const int64_t blocks = in / 256;
  for (int64_t o = 0; o < out; ++o) {
    float scale = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = bytes + (o * blocks + b) * kTq2BlockBytes;
      bool nonzero = false, bad = false;
      for (int i = 0; i < 64; ++i) nonzero |= blk[i] != 0x55, bad |= has_code3(blk[i]);
      LOWBIT_CHECK(!bad, "tq2_0 tensor [{}, {}]: code 3 in block {} of row {}", out, in, b, o);
      uint8_t* c0 = chunk_ptr(p, v, o, 2 * b);
      uint8_t* c1 = chunk_ptr(p, v, o, 2 * b + 1);
      for (int m = 0; m < 32; ++m) c0[m] = kReversePairs[blk[m]], c1[m] = kReversePairs[blk[32 + m]];
      if (!nonzero) continue;
      uint16_t h;
      std::memcpy(&h, blk + 64, 2);
      const float d = fp16_to_f32(h);
      LOWBIT_CHECK(scale == 0.0f || d == scale,
                   "tq2_0 tensor [{}, {}]: row {} mixes block scales {} and {}; lowbit's ternary kernels need one "
                   "scale per row",
                   out, in, o, scale, d);
      scale = d;
    }
    p.row_scale[size_t(o)] = scale;
  }
  return p;
}

// TQ1_0: trits by table into codes, then straight into the two chunks of
// each 256-column block.
PackedTernary pack_tq1_0(const void* data, int64_t out, int64_t in, TernaryLayout layout) {
  LOWBIT_CHECK(in % 256 == 0, "tq1_0 tensor [{}, {}]: in is not a multiple of 256", out, in);
  PackedTernary p = make_empty(out, in, layout);
  const TernaryWeightsView v = p.view();
  const auto* bytes = static_cast<const uint8_t*>(data);
  const int64_t blocks = in / 256;
  uint8_t c[256];
  for (int64_t o = 0; o < out; ++o) {
    float scale = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const uint8_t* blk = bytes + (o * blocks + b) * kTq1BlockBytes;
      for (int m = 0; m < 32; ++m)
        for (int n = 0; n < 5; ++n) c[32 * n + m] = kTq1Trits[blk[m]][size_t(n)];
      for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 5; ++n) c[160 + 16 * n + m] = kTq1Trits[blk[32 + m]][size_t(n)];
      for (int j = 0; j < 4; ++j)
        for (int n = 0; n < 4; ++n) c[240 + 4 * n + j] = kTq1Trits[blk[48 + j]][size_t(n)];
      bool nonzero = false;
      for (int h = 0; h < 2; ++h) {
        uint8_t* dst = chunk_ptr(p, v, o, 2 * b + h);
        const uint8_t* ch = c + 128 * h;
        for (int q = 0; q < 32; ++q) {
          dst[q] = uint8_t(ch[q] << 6 | ch[32 + q] << 4 | ch[64 + q] << 2 | ch[96 + q]);
          nonzero |= dst[q] != 0x55;
        }
      }
      if (!nonzero) continue;
      uint16_t h;
      std::memcpy(&h, blk + 52, 2);
      const float d = fp16_to_f32(h);
      LOWBIT_CHECK(scale == 0.0f || d == scale,
                   "tq1_0 tensor [{}, {}]: row {} mixes block scales {} and {}; lowbit's ternary kernels need one "
                   "scale per row",
                   out, in, o, scale, d);
      scale = d;
    }
    p.row_scale[size_t(o)] = scale;
  }
  return p;
}

PackedTernary pack_i2_s(const void* data, int64_t out, int64_t in, TernaryLayout layout) {
  LOWBIT_CHECK(out > 0 && in > 0 && (out * in) % 128 == 0,
               "i2_s tensor [{}, {}]: element count is not a multiple of 128", out, in);
  const auto* bytes = static_cast<const uint8_t*>(data);
  const float scale = i2_s_scale(bytes, out * in);
  PackedTernary p = make_empty(out, in, layout);
  if (in % 128 == 0) {  // rows start on block boundaries: I2_S blocks are lowbit's chunks
    for (int64_t i = 0; i < out * in / 4; ++i)
      LOWBIT_CHECK(!has_code3(bytes[i]), "i2_s tensor [{}, {}]: code 3 in byte {}", out, in, i);
    if (layout == TernaryLayout::kI2sRows) {
      std::memcpy(p.codes.data(), bytes, size_t(out * in / 4));
    } else {
      const TernaryWeightsView v = p.view();
      for (int64_t o = 0; o < out; ++o)
        for (int64_t k = 0; k < in / 128; ++k) std::memcpy(chunk_ptr(p, v, o, k), bytes + (o * in / 128 + k) * 32, 32);
    }
  } else {
    std::vector<int8_t> row(static_cast<size_t>(in));
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t k = 0; k < in; ++k) {
        const int c = i2_s_code(bytes, o * in + k);
        LOWBIT_CHECK(c != 3, "i2_s tensor [{}, {}]: code 3 at row {}, column {}", out, in, o, k);
        row[size_t(k)] = int8_t(c - 1);
      }
      put_row(p, o, row.data());
    }
  }
  for (int64_t o = 0; o < out; ++o) p.row_scale[size_t(o)] = scale;
  return p;
}

PackedTernary concat_rows(const std::vector<const PackedTernary*>& parts) {
  LOWBIT_CHECK(!parts.empty(), "concat_rows: no matrices");
  const PackedTernary& first = *parts.front();
  int64_t out = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PackedTernary& p = *parts[i];
    LOWBIT_CHECK(p.in == first.in && p.layout == first.layout,
                 "concat_rows: matrix {} is [{}, {}], the first [{}, {}] (same columns and layout needed)", i, p.out,
                 p.in, first.out, first.in);
    // Every group of 4 rows is in_pad contiguous bytes in both layouts, so
    // the code buffers concatenate as they are when no padding rows would
    // land in the middle.
    LOWBIT_CHECK(i + 1 == parts.size() || p.out % 4 == 0,
                 "concat_rows: matrix {} has {} rows, not a multiple of 4", i, p.out);
    out += p.out;
  }
  PackedTernary r = make_empty(out, first.in, first.layout);
  size_t offset = 0;
  int64_t row = 0;
  for (const PackedTernary* p : parts) {
    std::memcpy(r.codes.as<uint8_t>() + offset, p->codes.data(), size_t(p->code_bytes()));
    std::copy(p->row_scale.begin(), p->row_scale.begin() + p->out, r.row_scale.begin() + row);
    offset += size_t(p->out * p->in_pad / 4);
    row += p->out;
  }
  return r;
}

}  // namespace lowbit

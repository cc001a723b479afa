// Repacking ternary weights into the run-time layouts (done once, at load).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "formats/format.hpp"
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

uint8_t* chunk_ptr(PackedTernary& p, const TernaryWeightsView& v, int64_t o, int64_t k) {
  return p.codes.as<uint8_t>() + (v.chunk(o, k) - v.data);
}

// What encode_chunk saw: the largest code (> 2: a value that is not -1, 0
// or +1) and whether any value was nonzero.
struct ChunkStats {
  uint8_t max_code = 0;
  bool nonzero = false;
};

// 128 ternary values into one chunk of codes (byte q: columns q, 32+q, 64+q,
// 96+q). Written as byte arithmetic with max/or reductions so it vectorizes.
ChunkStats encode_chunk(const int8_t* t, uint8_t* c) {
  uint8_t mx = 0, nz = 0;
  for (int q = 0; q < 32; ++q) {
    const uint8_t a = uint8_t(t[q] + 1), b = uint8_t(t[32 + q] + 1), d = uint8_t(t[64 + q] + 1),
                  e = uint8_t(t[96 + q] + 1);
    mx = std::max(mx, std::max(std::max(a, b), std::max(d, e)));
    nz |= uint8_t((a ^ 1) | (b ^ 1) | (d ^ 1) | (e ^ 1));
    c[q] = uint8_t(a << 6 | b << 4 | d << 2 | e);
  }
  return {mx, nz != 0};
}

// Writes one row of ternary values (in entries) into its chunks; false if a
// value is not ternary (the row is then partly written).
bool put_row(PackedTernary& p, int64_t o, const int8_t* t) {
  const TernaryWeightsView v = p.view();
  uint8_t mx = 0;
  for (int64_t k = 0; k < v.n_chunks; ++k) {
    uint8_t* c = chunk_ptr(p, v, o, k);
    const int64_t col0 = 128 * k;
    if (col0 + 128 <= p.in) {
      mx = std::max(mx, encode_chunk(t + col0, c).max_code);
    } else {
      for (int q = 0; q < 32; ++q) {
        int byte = 0;
        for (int g = 0; g < 4; ++g) {
          const int64_t col = col0 + 32 * g + q;
          const uint8_t code = col < p.in ? uint8_t(t[col] + 1) : 1;
          mx = std::max(mx, code);
          byte |= (code & 3) << (6 - 2 * g);
        }
        c[q] = uint8_t(byte);
      }
    }
  }
  return mx <= 2;
}

void check_ternary_row(const int8_t* t, int64_t in, const char* what, int64_t o) {
  for (int64_t k = 0; k < in; ++k)
    LOWBIT_CHECK(t[k] >= -1 && t[k] <= 1, "{} weights: value {} at row {}, column {} is not ternary", what, int(t[k]),
                 o, k);
}

// True if a byte of 2-bit codes holds a 3 (never written by any format).
inline bool has_code3(uint8_t b) { return (b & (b >> 1) & 0x55) != 0; }

// lowbit's kernels take one scale per row: every nonzero block of a row must
// carry the same one (BitNet files fold the per-tensor scale into each block).
void merge_row_scale(float& row_scale, float block_scale, const FormatTraits& f, int64_t out, int64_t in,
                     int64_t o) {
  LOWBIT_CHECK(row_scale == 0.0f || block_scale == row_scale,
               "{} tensor [{}, {}]: row {} mixes block scales {} and {}; lowbit's ternary kernels need one scale "
               "per row",
               f.name, out, in, o, row_scale, block_scale);
  row_scale = block_scale;
}

// Formats with per-block scales (TQ1_0, TQ2_0): each block through the
// format's own decoder, then its 128-column halves into chunks.
PackedTernary pack_scaled_blocks(const FormatTraits& f, const void* data, int64_t out, int64_t in,
                                 TernaryLayout layout) {
  const int64_t be = f.block_elems;
  LOWBIT_CHECK(be % 128 == 0 && in % be == 0, "{} tensor [{}, {}]: in is not a multiple of {}", f.name, out, in, be);
  PackedTernary p = make_empty(out, in, layout);
  const TernaryWeightsView v = p.view();
  const auto* bytes = static_cast<const uint8_t*>(data);
  const int64_t blocks = in / be, chunks = be / 128;
  std::vector<int8_t> t(static_cast<size_t>(be));
  for (int64_t o = 0; o < out; ++o) {
    float scale = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const float d = f.decode_ternary_block(bytes + (o * blocks + b) * f.block_bytes, t.data());
      ChunkStats st;
      for (int64_t h = 0; h < chunks; ++h) {
        const ChunkStats sh = encode_chunk(t.data() + 128 * h, chunk_ptr(p, v, o, b * chunks + h));
        st.max_code = std::max(st.max_code, sh.max_code), st.nonzero |= sh.nonzero;
      }
      LOWBIT_CHECK(st.max_code <= 2, "{} tensor [{}, {}]: a code that is not ternary in block {} of row {}", f.name, out, in,
                   b, o);
      if (st.nonzero) merge_row_scale(scale, d, f, out, in, o);
    }
    p.row_scale[size_t(o)] = scale;
  }
  return p;
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
    if (!put_row(p, o, w + o * in)) check_ternary_row(w + o * in, in, "ternary", o);  // throws, naming the column
    p.row_scale[size_t(o)] = row_scales[o];
  }
  return p;
}

PackedTernary pack_ternary(const int8_t* w, int64_t out, int64_t in, float scale, TernaryLayout layout) {
  std::vector<float> s(size_t(out), scale);
  return pack_ternary_rows(w, out, in, s.data(), layout);
}

PackedTernary pack_ternary_format(const FormatTraits& f, const void* data, int64_t out, int64_t in,
                                  TernaryLayout layout) {
  LOWBIT_CHECK(f.ternary, "{} is not a ternary format", f.name);
  if (f.decode_ternary_block) return pack_scaled_blocks(f, data, out, in, layout);
  LOWBIT_CHECK(f.format == Format::I2_S, "{}: no repacker for this ternary format", f.name);
  return pack_i2_s(data, out, in, layout);
}

PackedTernary pack_tq2_0(const void* data, int64_t out, int64_t in, TernaryLayout layout) {
  return pack_ternary_format(format_traits(Format::TQ2_0), data, out, in, layout);
}

PackedTernary pack_tq1_0(const void* data, int64_t out, int64_t in, TernaryLayout layout) {
  return pack_ternary_format(format_traits(Format::TQ1_0), data, out, in, layout);
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

#include "kernels/ternary_lut.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace lowbit {

PackedTernaryLut pack_ternary_lut(const int8_t* w, int64_t out, int64_t in) {
  LOWBIT_CHECK(out > 0 && in > 0 && in <= kTernaryMaxIn, "ternary lut pack: bad shape [{}, {}]", out, in);
  PackedTernaryLut p;
  p.out = out, p.in = in;
  p.out_pad = (out + 15) / 16 * 16, p.in_pad = (in + 7) / 8 * 8;
  p.idx = AlignedBuffer(size_t(p.out_pad * p.in_pad / 4));
  auto value = [&](int64_t o, int64_t k) -> int {
    if (o >= out || k >= in) return 0;
    const int v = w[o * in + k];
    LOWBIT_CHECK(v >= -1 && v <= 1, "ternary lut pack: weight ({}, {}) is {}, not -1, 0 or 1", o, k, v);
    return v;
  };
  auto index = [&](int64_t o, int64_t g) { return uint8_t(3 * (value(o, 2 * g) + 1) + value(o, 2 * g + 1) + 1); };
  for (int64_t b = 0; b < p.out_pad / 16; ++b)
    for (int64_t q = 0; q < p.n_quads(); ++q) {
      uint8_t* dst = p.idx.as<uint8_t>() + (b * p.n_quads() + q) * 32;
      for (int64_t i = 0; i < 16; ++i) {
        const int64_t o = 16 * b + i;
        dst[i] = uint8_t(index(o, 4 * q) | index(o, 4 * q + 2) << 4);
        dst[16 + i] = uint8_t(index(o, 4 * q + 1) | index(o, 4 * q + 3) << 4);
      }
    }
  return p;
}

void build_lut_tables(const int8_t* xq, int64_t in_pad, int8_t* tables) {
  for (int64_t g = 0; g < in_pad / 2; ++g) {
    const int a = xq[2 * g], b = xq[2 * g + 1];
    const int al = a & 15, bl = b & 15, ah = a >> 4, bh = b >> 4;  // x = 16 (x >> 4) + (x & 15)
    const int64_t q = g / 4, j = g % 4;
    // group j of a quad: table pair 0 (L, H at +0, +32) for j = 0, 1, pair 1 (+64, +96) for j = 2, 3; lane j % 2
    int8_t* L = tables + q * 128 + (j / 2) * 64 + (j % 2) * 16;
    int8_t* H = L + 32;
    for (int e = 0; e < 16; ++e) {
      const int w0 = e < 9 ? e / 3 - 1 : 0, w1 = e < 9 ? e % 3 - 1 : 0;
      L[e] = int8_t(w0 * al + w1 * bl);
      H[e] = int8_t(w0 * ah + w1 * bh);
    }
  }
}

namespace {

void dot_blocks_scalar(const PackedTernaryLut& w, int64_t b0, int64_t b1, const int8_t* tables, int32_t* raw) {
  for (int64_t b = b0; b < b1; ++b)
    for (int i = 0; i < 16; ++i) {
      int32_t lo = 0, hi = 0;
      for (int64_t q = 0; q < w.n_quads(); ++q) {
        const uint8_t* blk = w.block(b, q);
        const int8_t* t = tables + q * 128;
        const uint8_t idx[4] = {uint8_t(blk[i] & 15), uint8_t(blk[16 + i] & 15), uint8_t(blk[i] >> 4),
                                uint8_t(blk[16 + i] >> 4)};
        for (int j = 0; j < 4; ++j) {
          const int8_t* L = t + (j / 2) * 64 + (j % 2) * 16;
          lo += L[idx[j]];
          hi += L[32 + idx[j]];
        }
      }
      raw[(b - b0) * 16 + i] = 16 * hi + lo;
    }
}

const TernaryLutKernels kScalarLut{Isa::kScalar, dot_blocks_scalar};

}  // namespace

const TernaryLutKernels* scalar_ternary_lut_kernels() { return &kScalarLut; }

const TernaryLutKernels* ternary_lut_kernels_for(Isa isa) {
  IsaEntries<const TernaryLutKernels*> e{.scalar = scalar_ternary_lut_kernels()};
#if defined(__x86_64__)
  e.avx2 = avx2_ternary_lut_kernels();  // AVX-512 falls back to it
#endif
  return entry_if_supported(isa, e);
}

const TernaryLutKernels& ternary_lut_kernels() {
  // No AVX-512 version: the chosen ISA's fallback (AVX2) runs there.
  static const TernaryLutKernels& k = *pick_for_chosen_isa(ternary_lut_kernels_for);
  return k;
}

void ternary_lut_matmul_i32(const PackedTernaryLut& w, const QuantizedActivations& xq, int32_t* acc,
                            const TernaryLutKernels& k) {
  LOWBIT_CHECK(xq.in == w.in, "ternary lut matmul: activations have {} features, weights expect {}", xq.in, w.in);
  LOWBIT_CHECK(xq.in_pad >= w.in_pad, "ternary lut matmul: activation rows are padded to {} < {}", xq.in_pad,
               w.in_pad);
  const int64_t T = xq.tokens, n_blocks = w.out_pad / 16;
  std::vector<int8_t> tables(size_t(w.n_quads() * 128));
  for (int64_t t = 0; t < T; ++t) {
    build_lut_tables(xq.row(t), w.in_pad, tables.data());
    ThreadPool::global().parallel_for(n_blocks, 1, [&](int64_t b0, int64_t b1) {
      thread_local std::vector<int32_t> raw;
      raw.resize(size_t((b1 - b0) * 16));
      k.dot_blocks(w, b0, b1, tables.data(), raw.data());
      for (int64_t o = b0 * 16; o < std::min(b1 * 16, w.out); ++o) acc[t * w.out + o] = raw[size_t(o - b0 * 16)];
    });
  }
}

}  // namespace lowbit

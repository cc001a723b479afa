// The ternary input-gradient kernel (kernels/ternary_grad.hpp), written once
// with GCC vector extensions and compiled per ISA: the includer defines
// TGRAD_NS (the namespace) and TGRAD_VEC_BYTES (16 portable, 32 AVX2, 64
// AVX-512). Whatever the width, a table row holds one float per token of a
// 16-token block (64 bytes, one cache line: 4, 2 or 1 vectors), so the
// packed codes (row offset / 8) are the same for every ISA.
// No include guard: included once per ISA translation unit.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/ternary_grad.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace lowbit::TGRAD_NS {

typedef float Vec __attribute__((vector_size(TGRAD_VEC_BYTES)));
constexpr int64_t kTokens = 16;           // tokens per block = floats per table row
constexpr int kV = 64 / TGRAD_VEC_BYTES;  // vectors per row
constexpr int kCols = 12 / kV;            // columns in flight: 12 accumulators
constexpr int64_t kEntries = 27;          // rows per group's table
constexpr int64_t kChunk = 12;            // groups whose tables are live at once (20 KB: L1)
constexpr int64_t kRowBytes = kTokens * 4;

struct Row {
  Vec v[kV];
};

// The 27 rows of group g's table: row (j0 + 3 j1 + 9 j2) = (s0 d0 + s1 d1) + s2 d2, s = j - 1.
inline void build_table(const Row* d, Row* table) {
  Row pair[9];
  for (int j1 = 0; j1 < 3; ++j1)
    for (int j0 = 0; j0 < 3; ++j0)
      for (int v = 0; v < kV; ++v) {
        const Vec a = j0 == 0 ? -d[0].v[v] : j0 == 2 ? d[0].v[v] : Vec{};
        const Vec b = j1 == 0 ? -d[1].v[v] : j1 == 2 ? d[1].v[v] : Vec{};
        pair[j0 + 3 * j1].v[v] = a + b;
      }
  for (int j2 = 0; j2 < 3; ++j2)
    for (int k = 0; k < 9; ++k)
      for (int v = 0; v < kV; ++v) {
        const Vec c = j2 == 0 ? -d[2].v[v] : j2 == 2 ? d[2].v[v] : Vec{};
        table[k + 9 * j2].v[v] = pair[k].v[v] + c;
      }
}

// Columns [i, i + N) of one chunk: acc (the sums so far, in `part`) plus one
// table row per group.
template <int N>
[[gnu::always_inline]] inline void add_columns(const uint8_t* codes, int64_t in, int64_t g0, int64_t g1, int64_t i,
                                               const char* tables, bool first, Row* part) {
  Vec acc[N][kV];
  for (int c = 0; c < N; ++c)
    for (int v = 0; v < kV; ++v) acc[c][v] = first ? Vec{} : part[i + c].v[v];
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* code = codes + g * in + i;
    const char* table = tables + (g - g0) * kEntries * kRowBytes;
#pragma GCC unroll 12
    for (int c = 0; c < N; ++c) {
      const char* row = table + int64_t(code[c]) * 8;
      for (int v = 0; v < kV; ++v) {
        Vec x;
        std::memcpy(&x, row + v * TGRAD_VEC_BYTES, sizeof(Vec));
        acc[c][v] += x;
      }
    }
  }
  for (int c = 0; c < N; ++c)
    for (int v = 0; v < kV; ++v) part[i + c].v[v] = acc[c][v];
}

#if defined(__AVX2__)
// dst[c * dst_stride + r] = scale * src[r * src_stride + c] for an 8 x 8 block.
[[gnu::always_inline]] inline void transpose8(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                                              float scale) {
  __m256 r[8], t[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(src + k * src_stride);
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 8; k += 4) {
    r[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
    r[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
    r[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
    r[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
  }
  const __m256 s = _mm256_set1_ps(scale);
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(dst + k * dst_stride, _mm256_mul_ps(s, _mm256_permute2f128_ps(r[k], r[k + 4], 0x20)));
    _mm256_storeu_ps(dst + (k + 4) * dst_stride, _mm256_mul_ps(s, _mm256_permute2f128_ps(r[k], r[k + 4], 0x31)));
  }
}
constexpr bool kTranspose8 = true;
#else
inline void transpose8(const float*, int64_t, float*, int64_t, float) {}
constexpr bool kTranspose8 = false;
#endif

// dst[c * dst_stride + r] = scale * src[r * src_stride + c], r < rows, c < cols.
inline void transpose(const float* src, int64_t src_stride, int64_t rows, int64_t cols, float* dst, int64_t dst_stride,
                      float scale) {
  int64_t r0 = 0;
  if (kTranspose8)
    for (; r0 + 8 <= rows; r0 += 8) {
      int64_t c0 = 0;
      for (; c0 + 8 <= cols; c0 += 8)
        transpose8(src + r0 * src_stride + c0, src_stride, dst + c0 * dst_stride + r0, dst_stride, scale);
      for (int64_t r = r0; r < r0 + 8; ++r)
        for (int64_t c = c0; c < cols; ++c) dst[c * dst_stride + r] = scale * src[r * src_stride + c];
    }
  for (int64_t r = r0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * dst_stride + r] = scale * src[r * src_stride + c];
}

void input_grad(const float* dy, int64_t t0, int64_t t1, const TernaryGradWeights& w, float scale, float* dx) {
  const int64_t out = w.out, in = w.in, groups = w.groups;
  const uint8_t* codes = w.codes.as<uint8_t>();
  // Per thread: dy's columns as token rows, the live tables, the sums.
  thread_local std::vector<Row> d, tables, part;
  d.resize(size_t(groups * 3));
  tables.resize(size_t(kChunk * kEntries));
  part.resize(size_t(in));
  for (int64_t b = t0; b < t1; b += kTokens) {
    const int64_t nt = std::min(kTokens, t1 - b);
    // The rows past `out` (the last group's padding) must be zero; lanes
    // past nt would only give sums nobody reads, zeroed all the same.
    if (nt < kTokens || out < groups * 3) std::memset(static_cast<void*>(d.data()), 0, d.size() * sizeof(Row));
    transpose(dy + b * out, out, nt, out, reinterpret_cast<float*>(d.data()), kTokens, 1.0f);
    for (int64_t g0 = 0; g0 < groups; g0 += kChunk) {
      const int64_t g1 = std::min(groups, g0 + kChunk);
      for (int64_t g = g0; g < g1; ++g) build_table(d.data() + g * 3, tables.data() + (g - g0) * kEntries);
      const char* tab = reinterpret_cast<const char*>(tables.data());
      int64_t i = 0;
      for (; i + kCols <= in; i += kCols) add_columns<kCols>(codes, in, g0, g1, i, tab, g0 == 0, part.data());
      for (; i < in; ++i) add_columns<1>(codes, in, g0, g1, i, tab, g0 == 0, part.data());
    }
    transpose(reinterpret_cast<const float*>(part.data()), kTokens, in, nt, dx + b * in, in, scale);
  }
}

}  // namespace lowbit::TGRAD_NS

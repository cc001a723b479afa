// The multiply-free ternary kernels (kernels/ternary_grad.hpp), written once
// with GCC vector extensions and compiled per ISA: the includer defines
// TGRAD_NS (the namespace) and TGRAD_VEC_BYTES (16 portable, 32 AVX2, 64
// AVX-512). Whatever the width, a table row is 64 bytes (one cache line: 4,
// 2 or 1 vectors): 16 tokens of f32 (the input gradient) or 32 tokens of
// int16 (the forward on int8 codes), so the packed codes (row offset / 8)
// are the same for every ISA and both element types.
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

constexpr int kV = 64 / TGRAD_VEC_BYTES;  // vectors per table row
constexpr int kCols = 12 / kV;            // columns in flight: 12 accumulators
constexpr int64_t kEntries = 27;          // rows per group's table
constexpr int64_t kChunk = 12;            // groups whose tables are live at once (20 KB: L1)
constexpr int64_t kRowBytes = 64;

// One table row (or one column's sums): 64 / sizeof(T) tokens of T.
template <typename T>
struct Row {
  typedef T Vec __attribute__((vector_size(TGRAD_VEC_BYTES)));
  static constexpr int64_t kTokens = kRowBytes / int64_t(sizeof(T));
  Vec v[kV];
};

// The 27 rows of group g's table: row (j0 + 3 j1 + 9 j2) = (s0 d0 + s1 d1) + s2 d2, s = j - 1.
template <typename T>
inline void build_table(const Row<T>* d, Row<T>* table) {
  using Vec = typename Row<T>::Vec;
  Row<T> pair[9];
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
template <int N, typename T>
[[gnu::always_inline]] inline void add_columns(const uint8_t* codes, int64_t in, int64_t g0, int64_t g1, int64_t i,
                                               const char* tables, bool first, Row<T>* part) {
  using Vec = typename Row<T>::Vec;
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

// Zeroes the token rows of d from `from` on.
template <typename T>
inline void zero_padding(std::vector<Row<T>>& d, int64_t from) {
  if (size_t(from) < d.size())
    std::memset(static_cast<void*>(d.data() + from), 0, (d.size() - size_t(from)) * sizeof(Row<T>));
}

// The chunks [g0, g1) of every column into part (`first`: part starts at 0).
template <typename T>
void add_chunks(const uint8_t* codes, const TernaryGradWeights& w, const Row<T>* d, int64_t g0, int64_t g1, bool first,
                Row<T>* tables, Row<T>* part) {
  for (int64_t c0 = g0; c0 < g1; c0 += kChunk) {
    const int64_t c1 = std::min(g1, c0 + kChunk);
    for (int64_t g = c0; g < c1; ++g) build_table(d + g * 3, tables + (g - c0) * kEntries);
    const char* tab = reinterpret_cast<const char*>(tables);
    const bool f = first && c0 == g0;
    int64_t i = 0;
    for (; i + kCols <= w.in; i += kCols) add_columns<kCols>(codes, w.in, c0, c1, i, tab, f, part);
    for (; i < w.in; ++i) add_columns<1>(codes, w.in, c0, c1, i, tab, f, part);
  }
}

#if defined(__AVX2__)
// dst[c * dst_stride + r] = scale * src[r * src_stride + c] for an 8 x 8 block
// (kScaled false: the 32-bit patterns moved as they are, for int32 sums).
template <bool kScaled = true>
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
    __m256 lo = _mm256_permute2f128_ps(r[k], r[k + 4], 0x20), hi = _mm256_permute2f128_ps(r[k], r[k + 4], 0x31);
    if constexpr (kScaled) lo = _mm256_mul_ps(s, lo), hi = _mm256_mul_ps(s, hi);
    _mm256_storeu_ps(dst + k * dst_stride, lo);
    _mm256_storeu_ps(dst + (k + 4) * dst_stride, hi);
  }
}
constexpr bool kTranspose8 = true;
#else
template <bool kScaled = true>
inline void transpose8(const float*, int64_t, float*, int64_t, float) {}
constexpr bool kTranspose8 = false;
#endif

// dst[c * dst_stride + r] = scale * src[r * src_stride + c], r < rows, c < cols
// (kScaled false: moved bit for bit, scale ignored).
template <bool kScaled = true>
inline void transpose(const float* src, int64_t src_stride, int64_t rows, int64_t cols, float* dst, int64_t dst_stride,
                      float scale) {
  const auto one = [&](int64_t r, int64_t c) {
    if constexpr (kScaled) dst[c * dst_stride + r] = scale * src[r * src_stride + c];
    else std::memcpy(dst + c * dst_stride + r, src + r * src_stride + c, sizeof(float));
  };
  int64_t r0 = 0;
  if (kTranspose8)
    for (; r0 + 8 <= rows; r0 += 8) {
      int64_t c0 = 0;
      for (; c0 + 8 <= cols; c0 += 8)
        transpose8<kScaled>(src + r0 * src_stride + c0, src_stride, dst + c0 * dst_stride + r0, dst_stride, scale);
      for (int64_t r = r0; r < r0 + 8; ++r)
        for (int64_t c = c0; c < cols; ++c) one(r, c);
    }
  for (int64_t r = r0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) one(r, c);
}

void input_grad(const float* dy, int64_t t0, int64_t t1, const TernaryGradWeights& w, float scale, float* dx) {
  using R = Row<float>;
  constexpr int64_t kTokens = R::kTokens;
  const int64_t out = w.out, in = w.in, groups = w.groups;
  // Per thread: dy's columns as token rows, the live tables, the sums.
  thread_local std::vector<R> d, tables, part;
  d.resize(size_t(groups * 3));
  tables.resize(size_t(kChunk * kEntries));
  part.resize(size_t(in));
  for (int64_t b = t0; b < t1; b += kTokens) {
    const int64_t nt = std::min(kTokens, t1 - b);
    // The rows past `out` (the last group's padding) must be zero; lanes
    // past nt would only give sums nobody reads, zeroed all the same.
    zero_padding(d, nt < kTokens ? 0 : out);
    transpose(dy + b * out, out, nt, out, reinterpret_cast<float*>(d.data()), kTokens, 1.0f);
    add_chunks(w.codes.as<uint8_t>(), w, d.data(), 0, groups, true, tables.data(), part.data());
    transpose(reinterpret_cast<const float*>(part.data()), kTokens, in, nt, dx + b * in, in, scale);
  }
}

#if defined(__AVX2__)
// dst[r * 32 + t] = src[t * rows + r] for 32 tokens and rows [r0, r0 + 16):
// the 16 x 16 byte transpose (unpacks of 8, 16, 32, 64 bits) on both
// 128-bit lanes at once (tokens 0-15 low, 16-31 high), then each row's 32
// codes sign-extended to int16.
[[gnu::always_inline]] inline void codes_to_rows16(const int8_t* src, int64_t rows, int64_t r0, int16_t* dst) {
  __m256i a[16], b[16];
  for (int t = 0; t < 16; ++t)
    a[t] = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + t * rows + r0))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (t + 16) * rows + r0)), 1);
  // Four stages, each interleaving neighbouring vectors in units of 1, 2,
  // 4, 8 bytes: vector v ends up holding tokens 0-15 (per lane) of row
  // kRowOf[v], the 4-bit reversal of v.
  constexpr int kRowOf[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  for (int t = 0; t < 16; t += 2) {
    b[t / 2] = _mm256_unpacklo_epi8(a[t], a[t + 1]);
    b[t / 2 + 8] = _mm256_unpackhi_epi8(a[t], a[t + 1]);
  }
  for (int t = 0; t < 16; t += 2) {
    a[t / 2] = _mm256_unpacklo_epi16(b[t], b[t + 1]);
    a[t / 2 + 8] = _mm256_unpackhi_epi16(b[t], b[t + 1]);
  }
  for (int t = 0; t < 16; t += 2) {
    b[t / 2] = _mm256_unpacklo_epi32(a[t], a[t + 1]);
    b[t / 2 + 8] = _mm256_unpackhi_epi32(a[t], a[t + 1]);
  }
  for (int t = 0; t < 16; t += 2) {
    a[t / 2] = _mm256_unpacklo_epi64(b[t], b[t + 1]);
    a[t / 2 + 8] = _mm256_unpackhi_epi64(b[t], b[t + 1]);
  }
  for (int v = 0; v < 16; ++v) {
    const int r = kRowOf[v];
    int16_t* out = dst + (r0 + r) * 32;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(a[v])));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(a[v], 1)));
  }
}
#endif

// dst[r * 32 + t] = src[t * rows + r], t < nt (<= 32), r < rows: the
// tokens' int8 codes as int16 token rows.
inline void codes_to_rows(const int8_t* src, int64_t rows, int64_t nt, int16_t* dst) {
  int64_t r0 = 0;
#if defined(__AVX2__)
  if (nt == 32)
    for (; r0 + 16 <= rows; r0 += 16) codes_to_rows16(src, rows, r0, dst);
#endif
  for (int64_t t = 0; t < nt; ++t)
    for (int64_t r = r0; r < rows; ++r) dst[r * 32 + t] = src[t * rows + r];
}

// The forward on int8 codes: y[t, c] = sum_r q[t, r] w~[r, c] in int32, exact.
// Table rows are int16 over 32 tokens (twice the tokens of an f32 row per
// vector add). A row holds a sum of three codes, |.| <= 384, so a column's
// int16 sums take kWiden groups (84 * 384 < 32768) before they are widened
// into int32.
void forward_i8(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, int32_t* y) {
  using R = Row<int16_t>;
  constexpr int64_t kTokens = R::kTokens, kWiden = 7 * kChunk;
  const int64_t rows = w.out, cols = w.in, groups = w.groups;
  thread_local std::vector<R> d, tables, part;
  thread_local std::vector<int32_t> wide;  // [cols][kTokens]: the widened sums
  d.resize(size_t(groups * 3));
  tables.resize(size_t(kChunk * kEntries));
  part.resize(size_t(cols));
  wide.resize(size_t(cols * kTokens));
  for (int64_t b = 0; b < tokens; b += kTokens) {
    const int64_t nt = std::min(kTokens, tokens - b);
    zero_padding(d, nt < kTokens ? 0 : rows);
    codes_to_rows(q + b * rows, rows, nt, reinterpret_cast<int16_t*>(d.data()));
    for (int64_t g0 = 0; g0 < groups; g0 += kWiden) {
      const int64_t g1 = std::min(groups, g0 + kWiden);
      add_chunks(w.codes.as<uint8_t>(), w, d.data(), g0, g1, true, tables.data(), part.data());
      for (int64_t c = 0; c < cols; ++c) {
        const int16_t* p = reinterpret_cast<const int16_t*>(&part[size_t(c)]);
        int32_t* o = wide.data() + c * kTokens;
        for (int64_t t = 0; t < kTokens; ++t) o[t] = (g0 == 0 ? 0 : o[t]) + p[t];
      }
    }
    transpose<false>(reinterpret_cast<const float*>(wide.data()), kTokens, cols, nt,
                     reinterpret_cast<float*>(y + b * cols), cols, 1.0f);
  }
}

}  // namespace lowbit::TGRAD_NS

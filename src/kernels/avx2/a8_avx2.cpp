// AVX2 A8 kernels (no VNNI: they must run on every AVX2 CPU).
// int8 x int8: both sides sign-extended to int16 and multiplied with
// vpmaddwd, which cannot saturate (vpmaddubsw could: 2 * 128 * 255 > 2^15),
// 16 columns per step. Binary x int8: the 32 weight bits of a step become a
// byte mask (broadcast, vpshufb, compare), cut to 0/1 bytes that multiply
// the activations in vpmaddubsw (|pair| <= 256), summed in int16 for up to 64
// steps, then widened; sum s x = 2 * sum_{bit set} x - sum x. Both equal the
// scalar reference exactly; tails (< 16 or < 32 columns) are scalar.
#include <immintrin.h>

#include <cstring>

#include "kernels/a8_kernels.hpp"
#include "kernels/a8_tiles.hpp"

namespace lowbit {

namespace {

inline __m256i widen16(const int8_t* p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

inline uint32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return uint32_t(_mm_cvtsi128_si32(s));
}

// NR rows x NB tokens (NR * NB accumulators + NR + NB operands <= 16 ymm).
template <int NR, int NB>
void tile_i8(const int8_t* w, int64_t w_stride, const int8_t* x, int64_t x_stride, int64_t n, int32_t* acc,
             int64_t acc_stride) {
  __m256i a[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) a[r][t] = _mm256_setzero_si256();
  const int64_t n16 = n / 16 * 16;
  for (int64_t k = 0; k < n16; k += 16) {
    __m256i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = widen16(x + t * x_stride + k);
    for (int r = 0; r < NR; ++r) {
      // Decode: the next tile's rows requested ahead, once per 64-byte line
      // (see the AVX-512 tile in a8_avx512.cpp).
      if constexpr (NB == 1)
        if ((k & 63) == 0) _mm_prefetch(reinterpret_cast<const char*>(w + (r + NR) * w_stride + k), _MM_HINT_T0);
      const __m256i wv = widen16(w + r * w_stride + k);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm256_add_epi32(a[r][t], _mm256_madd_epi16(wv, xv[t]));
    }
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < NR; ++r) {
      uint32_t s = hsum(a[r][t]);
      for (int64_t k = n16; k < n; ++k) s += uint32_t(int32_t(w[r * w_stride + k]) * x[t * x_stride + k]);
      acc[t * acc_stride + r] = int32_t(s);
    }
}

int no_sum(const int8_t*, int64_t) { return 0; }  // int16 products: no offset to undo

void dot_i8_avx2(const int8_t* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt,
                 int64_t n, int32_t* acc, int64_t acc_stride) {
  detail::a8_dot<2>(w, w_stride, rows, x, x_stride, nt, n, acc, acc_stride, no_sum,
                    [](auto nr, auto nb, auto wr, int64_t ws, auto xt, int64_t xs, int64_t nn, auto, auto ac, int64_t as) {
                      tile_i8<decltype(nr)::value, decltype(nb)::value>(wr, ws, xt, xs, nn, ac, as);
                    });
}

// 0xFF in byte j where bit j of `word` is set.
inline __m256i expand_bits(uint32_t word) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
  const __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32(int32_t(word)), spread);
  return _mm256_cmpeq_epi8(_mm256_and_si256(b, bit), bit);
}

inline uint32_t load_word(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

template <int NR, int NB>
void tile_bin1(const uint8_t* bits, int64_t bits_stride, const int8_t* x, int64_t x_stride, int64_t n,
               const uint32_t* xsum, int32_t* acc, int64_t acc_stride) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  __m256i a[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) a[r][t] = _mm256_setzero_si256();
  const int64_t n32 = n / 32 * 32;
  constexpr int64_t kSpan = 64 * 32;  // columns per int16 span: 64 * 256 < 2^15
  for (int64_t k0 = 0; k0 < n32; k0 += kSpan) {
    const int64_t k1 = k0 + kSpan < n32 ? k0 + kSpan : n32;
    __m256i p[NR][NB];
    for (int r = 0; r < NR; ++r)
      for (int t = 0; t < NB; ++t) p[r][t] = _mm256_setzero_si256();
    for (int64_t k = k0; k < k1; k += 32) {
      __m256i xv[NB];
      for (int t = 0; t < NB; ++t) xv[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + t * x_stride + k));
      for (int r = 0; r < NR; ++r) {
        const __m256i sel = _mm256_and_si256(expand_bits(load_word(bits + r * bits_stride + k / 8)), ones8);  // 0/1
        for (int t = 0; t < NB; ++t) p[r][t] = _mm256_add_epi16(p[r][t], _mm256_maddubs_epi16(sel, xv[t]));
      }
    }
    for (int r = 0; r < NR; ++r)
      for (int t = 0; t < NB; ++t) a[r][t] = _mm256_add_epi32(a[r][t], _mm256_madd_epi16(p[r][t], ones16));
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < NR; ++r) {
      uint32_t s = hsum(a[r][t]);
      const uint8_t* b = bits + r * bits_stride;
      for (int64_t k = n32; k < n; ++k)
        if ((b[k >> 3] >> (k & 7)) & 1) s += uint32_t(int32_t(x[t * x_stride + k]));
      acc[t * acc_stride + r] = int32_t(2u * s - xsum[t]);
    }
}

uint32_t sum_bytes(const int8_t* x, int64_t n) {
  uint32_t s = 0;
  for (int64_t k = 0; k < n; ++k) s += uint32_t(int32_t(x[k]));
  return s;
}

void dot_bin1_avx2(const uint8_t* bits, int64_t bits_stride, int64_t rows, const int8_t* x, int64_t x_stride,
                   int64_t nt, int64_t n, int32_t* acc, int64_t acc_stride) {
  detail::a8_dot<2>(bits, bits_stride, rows, x, x_stride, nt, n, acc, acc_stride, sum_bytes,
                    [](auto nr, auto nb, auto... args) { tile_bin1<decltype(nr)::value, decltype(nb)::value>(args...); });
}

// 32 entries per vpcmpgtb + vpmovmskb (byte j -> bit j, LSB first).
void pack_bin1_avx2(const int8_t* s, int64_t n, uint8_t* dst) {
  const __m256i zero = _mm256_setzero_si256();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    const uint32_t m = uint32_t(_mm256_movemask_epi8(
        _mm256_cmpgt_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + k)), zero)));
    std::memcpy(dst + k / 8, &m, 4);
  }
  if (k < n) pack_bin1_tail(s + k, n - k, dst + k / 8);
}

const A8Kernels kAvx2A8{Isa::kAvx2, dot_i8_avx2, dot_bin1_avx2, pack_bin1_avx2};

}  // namespace

const A8Kernels* avx2_a8_kernels() { return &kAvx2A8; }

}  // namespace lowbit

// AVX-512 VNNI A8 kernels. vpdpbusd multiplies unsigned by signed bytes, so
// int8 weights are flipped to unsigned with the +128 offset (w ^ 0x80 =
// w + 128) and the excess 128 * sum_k x[t, k] is taken off once per token.
// Binary weights become 0/1 bytes straight from the bit words (a masked
// move) and multiply the activations: sum s x = 2 * sum_{bit set} x - sum x. The int32 lanes may wrap on
// the way (vpdpbusd and vpaddd are modular); the final value is in range,
// so the modular result is the exact one.
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstring>

#include "kernels/a8_kernels.hpp"
#include "kernels/a8_tiles.hpp"

namespace lowbit {

namespace {

inline __mmask64 live_mask(int64_t left) { return left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1; }

// Vector adds only: the lanes may wrap, and GCC's _mm512_reduce_add_epi32
// finishes in signed scalar ints (undefined on overflow).
inline uint32_t hsum(__m512i v) {
  __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return uint32_t(_mm_cvtsi128_si32(s));
}

// sum_{k < n} x[k], exact (n * 128 < 2^31).
inline int32_t sum_bytes(const int8_t* x, int64_t n) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i s = _mm512_setzero_si512();
  for (int64_t k = 0; k < n; k += 64) s = _mm512_dpbusd_epi32(s, ones, _mm512_maskz_loadu_epi8(live_mask(n - k), x + k));
  return int32_t(hsum(s));
}

// NR rows x NB tokens of w ^ 0x80 times x.
template <int NR, int NB>
void tile_i8(const int8_t* w, int64_t w_stride, const int8_t* x, int64_t x_stride, int64_t n, const int32_t* xsum,
             int32_t* acc, int64_t acc_stride) {
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  __m512i a[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) a[r][t] = _mm512_setzero_si512();
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {
    __m512i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = _mm512_loadu_si512(x + t * x_stride + k);
    for (int r = 0; r < NR; ++r) {
      // Decode (one token) streams the weights from memory: the same bytes
      // of the next tile's rows requested now kept the core's reads at the
      // bandwidth (+5% on 800 MB of int8 rows); the hardware prefetcher
      // alone, following NR streams, fell behind. Prefetches past the last
      // row are harmless (they never fault).
      if constexpr (NB == 1) _mm_prefetch(reinterpret_cast<const char*>(w + (r + NR) * w_stride + k), _MM_HINT_T0);
      const __m512i wu = _mm512_xor_si512(_mm512_loadu_si512(w + r * w_stride + k), flip);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm512_dpbusd_epi32(a[r][t], wu, xv[t]);
    }
  }
  if (k < n) {  // zero activations past n cancel whatever the flipped weights hold
    const __mmask64 m = live_mask(n - k);
    __m512i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = _mm512_maskz_loadu_epi8(m, x + t * x_stride + k);
    for (int r = 0; r < NR; ++r) {
      const __m512i wu = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + r * w_stride + k), flip);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm512_dpbusd_epi32(a[r][t], wu, xv[t]);
    }
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < NR; ++r)
      acc[t * acc_stride + r] = int32_t(hsum(a[r][t]) - 128u * uint32_t(xsum[t]));
}

void dot_i8_avx512(const int8_t* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt,
                   int64_t n, int32_t* acc, int64_t acc_stride) {
  detail::a8_dot<4>(w, w_stride, rows, x, x_stride, nt, n, acc, acc_stride, sum_bytes,
                    [](auto nr, auto nb, auto... args) { tile_i8<decltype(nr)::value, decltype(nb)::value>(args...); });
}

inline __mmask64 load_bits(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return _cvtu64_mask64(v);
}

// NR rows x NB tokens: sum of the activations whose weight bit is set.
template <int NR, int NB>
void tile_bin1(const uint8_t* bits, int64_t bits_stride, const int8_t* x, int64_t x_stride, int64_t n,
               const int32_t* xsum, int32_t* acc, int64_t acc_stride) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i a[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) a[r][t] = _mm512_setzero_si512();
  // The bits as 0/1 bytes: one vpdpbusd per token then sums the selected x.
  // (Main loop and masked tail written out separately: with one loop and a
  // per-step mask GCC 12 kept every accumulator in memory, 2x slower.)
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {
    __m512i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = _mm512_loadu_si512(x + t * x_stride + k);
    for (int r = 0; r < NR; ++r) {
      const __m512i sel = _mm512_maskz_mov_epi8(load_bits(bits + r * bits_stride + k / 8), ones);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm512_dpbusd_epi32(a[r][t], sel, xv[t]);
    }
  }
  if (k < n) {  // zero activations past n
    const __mmask64 live = live_mask(n - k);
    __m512i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = _mm512_maskz_loadu_epi8(live, x + t * x_stride + k);
    for (int r = 0; r < NR; ++r) {
      const __m512i sel = _mm512_maskz_mov_epi8(load_bits(bits + r * bits_stride + k / 8), ones);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm512_dpbusd_epi32(a[r][t], sel, xv[t]);
    }
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < NR; ++r) acc[t * acc_stride + r] = int32_t(2u * hsum(a[r][t]) - uint32_t(xsum[t]));
}

void dot_bin1_avx512(const uint8_t* bits, int64_t bits_stride, int64_t rows, const int8_t* x, int64_t x_stride,
                     int64_t nt, int64_t n, int32_t* acc, int64_t acc_stride) {
  detail::a8_dot<4>(bits, bits_stride, rows, x, x_stride, nt, n, acc, acc_stride, sum_bytes,
                    [](auto nr, auto nb, auto... args) { tile_bin1<decltype(nr)::value, decltype(nb)::value>(args...); });
}

// 64 entries per vpcmpgtb into a mask register: the mask is the bit word.
void pack_bin1_avx512(const int8_t* s, int64_t n, uint8_t* dst) {
  const __m512i zero = _mm512_setzero_si512();
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {
    const uint64_t m = _cvtmask64_u64(_mm512_cmpgt_epi8_mask(_mm512_loadu_si512(s + k), zero));
    std::memcpy(dst + k / 8, &m, 8);
  }
  if (k < n) pack_bin1_tail(s + k, n - k, dst + k / 8);
}

const A8Kernels kAvx512A8{Isa::kAvx512, dot_i8_avx512, dot_bin1_avx512, pack_bin1_avx512};

}  // namespace

const A8Kernels* avx512_a8_kernels() { return &kAvx512A8; }

}  // namespace lowbit

// AVX-VNNI A8 kernels (AVX2 registers, VEX vpdpbusd). int8 x int8 as the
// AVX-512 table does it: weights flipped to unsigned with the +128 offset
// (w ^ 0x80 = w + 128), one vpdpbusd per 32 columns and token (AVX2 needs a
// sign extension of both sides and a vpmaddwd per 16), and the excess
// 128 * sum_k x[t, k] taken off once per token. The int32 lanes may wrap on
// the way (vpdpbusd and vpaddd are modular); the final value is in range, so
// the modular result is the exact one. Tails (< 32 columns) are scalar.
// Binary x int8 and the bit packer are AVX2's (their cost is the bit
// expansion, which VNNI does not shorten).
#include <immintrin.h>

#include "kernels/a8_kernels.hpp"
#include "kernels/a8_tiles.hpp"

namespace lowbit {

namespace {

inline uint32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return uint32_t(_mm_cvtsi128_si32(s));
}

// sum_{k < n} x[k], exact (n * 128 < 2^31).
int32_t sum_bytes(const int8_t* x, int64_t n) {
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i s = _mm256_setzero_si256();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32)
    s = _mm256_dpbusd_avx_epi32(s, ones, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + k)));
  uint32_t total = hsum(s);
  for (; k < n; ++k) total += uint32_t(int32_t(x[k]));
  return int32_t(total);
}

// NR rows x NB tokens of w ^ 0x80 times x (NR * NB + NB + 2 <= 16 ymm).
template <int NR, int NB>
void tile_i8(const int8_t* w, int64_t w_stride, const int8_t* x, int64_t x_stride, int64_t n, const int32_t* xsum,
             int32_t* acc, int64_t acc_stride) {
  const __m256i flip = _mm256_set1_epi8(char(0x80));
  __m256i a[NR][NB];
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) a[r][t] = _mm256_setzero_si256();
  const int64_t n32 = n / 32 * 32;
  for (int64_t k = 0; k < n32; k += 32) {
    __m256i xv[NB];
    for (int t = 0; t < NB; ++t) xv[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + t * x_stride + k));
    for (int r = 0; r < NR; ++r) {
      // Decode: the next tile's rows requested ahead, once per 64-byte line
      // (see the AVX-512 tile in a8_avx512.cpp).
      if constexpr (NB == 1)
        if ((k & 63) == 0) _mm_prefetch(reinterpret_cast<const char*>(w + (r + NR) * w_stride + k), _MM_HINT_T0);
      const __m256i wu =
          _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * w_stride + k)), flip);
      for (int t = 0; t < NB; ++t) a[r][t] = _mm256_dpbusd_avx_epi32(a[r][t], wu, xv[t]);
    }
  }
  for (int t = 0; t < NB; ++t)
    for (int r = 0; r < NR; ++r) {
      uint32_t s = hsum(a[r][t]) - 128u * uint32_t(xsum[t]);
      for (int64_t k = n32; k < n; ++k) s += uint32_t(int32_t(w[r * w_stride + k]) * x[t * x_stride + k]);
      acc[t * acc_stride + r] = int32_t(s);
    }
}

void dot_i8_avxvnni(const int8_t* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt,
                    int64_t n, int32_t* acc, int64_t acc_stride) {
  // xsum covers only the vectorized columns: the tail is added exactly.
  auto sum_vectorized = [](const int8_t* xr, int64_t nn) { return sum_bytes(xr, nn / 32 * 32); };
  detail::a8_dot<2>(w, w_stride, rows, x, x_stride, nt, n, acc, acc_stride, +sum_vectorized,
                    [](auto nr, auto nb, auto... args) { tile_i8<decltype(nr)::value, decltype(nb)::value>(args...); });
}

}  // namespace

const A8Kernels* avxvnni_a8_kernels() {
  static const A8Kernels k{Isa::kAvxVnni, dot_i8_avxvnni, avx2_a8_kernels()->dot_bin1, avx2_a8_kernels()->pack_bin1};
  return &k;
}

}  // namespace lowbit

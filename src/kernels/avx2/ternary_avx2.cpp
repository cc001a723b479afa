// AVX2 ternary kernels: the x86 baseline. Codes (0..2, unsigned) times int8
// activations with vpmaddubsw (pairs summed to int16: |.| <= 2*2*128, four
// of them still fit int16), widened with vpmaddwd; the caller subtracts
// sum(xq) to turn codes into -1/0/+1. Integer results equal the scalar
// reference exactly.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2/act_quant_avx2.hpp"
#include "kernels/avx2/fwht_avx2.hpp"
#include "kernels/avx2/vec_f32_avx2.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/two_streams.hpp"

namespace lowbit {

namespace {

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// NR rows starting at o0 times NB tokens; raw points at (token 0, row o0).
template <int NR, int NB>
void rows_tokens(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int64_t x_stride, int32_t* raw,
                 int64_t raw_stride) {
  const __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
  __m256i acc[NR][NB];
  const uint8_t* rows[NR];
  for (int r = 0; r < NR; ++r) {
    rows[r] = w.chunk(o0 + r, 0);
    for (int t = 0; t < NB; ++t) acc[r][t] = _mm256_setzero_si256();
  }
  const int64_t cs = w.chunk_stride;
  // Per chunk a lane of s01 + s23 is at most 4 * 512 in magnitude, so up to
  // kSpan chunks add up in int16 before one vpmaddwd widens them.
  constexpr int64_t kSpan = 8;  // 8 * 2048 < 32768
  for (int64_t k0 = 0; k0 < w.n_chunks; k0 += kSpan) {
    const int64_t k1 = k0 + kSpan < w.n_chunks ? k0 + kSpan : w.n_chunks;
    __m256i part[NR][NB];
    for (int r = 0; r < NR; ++r)
      for (int t = 0; t < NB; ++t) part[r][t] = _mm256_setzero_si256();
    for (int64_t k = k0; k < k1; ++k) {
      const int8_t* xk = xq + 128 * k;
      // The micro-kernels walk a tile's rows in passes; pull in both cache
      // lines of a later 4-row chunk so memory sees one sequential stream.
      if constexpr (NB == 1) {
        _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs + 64), _MM_HINT_T0);
      }
      for (int r = 0; r < NR; ++r) {
        const __m256i b = load256(rows[r] + k * cs);
        const __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(b, 6), mask);
        const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
        const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(b, 2), mask);
        const __m256i c3 = _mm256_and_si256(b, mask);
        for (int t = 0; t < NB; ++t) {
          const int8_t* x = xk + t * x_stride;
          const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(c0, load256(x)),
                                               _mm256_maddubs_epi16(c1, load256(x + 32)));
          const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(c2, load256(x + 64)),
                                               _mm256_maddubs_epi16(c3, load256(x + 96)));
          part[r][t] = _mm256_add_epi16(part[r][t], _mm256_add_epi16(s01, s23));
        }
      }
    }
    for (int r = 0; r < NR; ++r)
      for (int t = 0; t < NB; ++t) acc[r][t] = _mm256_add_epi32(acc[r][t], _mm256_madd_epi16(part[r][t], ones));
  }
  for (int r = 0; r < NR; ++r)
    for (int t = 0; t < NB; ++t) raw[t * raw_stride + r] = hsum_i32(acc[r][t]);
}

// Decode: all 4 rows of a tile per chunk (one pass over the tile's single
// stream). 14 vector operations per 32 code bytes instead of 15: one 16-bit
// shift by 4 brings bits 7:4 of every byte down, and masking b and b >> 4
// with 0x03 and 0x0C gives the codes of the four column groups, two of them
// times 4 (bits 3:2 are not shifted down); those products are exact
// multiples of 4, divided out with one arithmetic shift before they join
// the others. One int16 span per row (a lane gains at most 4 * 512 per
// chunk: 8 chunks fit), widened with vpmaddwd and folded two rows per int32
// accumulator with vphaddd: 4 spans + 2 sums + 2 masks + temporaries fit
// the 16 ymm registers, x comes from L1 as memory operands. (Two spans per
// row, for the x1 and x4 products, saved the shift but spilled three spans
// to the stack: 7% slower in L2 than the old 15-operation loop; this one is
// 7% faster.) From DRAM the software prefetch 3 KiB ahead is what matters
// (without it, 1.7x the CPU time per pass); 1-12 KiB, to L1 or L2, measured
// the same within this machine's noise. Quiet (issue 18) as well: 1-24 KiB
// ahead with T0/T1/T2, one line per chunk, or T0 near plus T2 far moved the
// time per pass by less than run-to-run noise (+-10%), and so did 2 KiB
// with the strides as compile-time constants (paired with the probe). What
// moved it from 0.72-0.79 of the paired read probe to 0.87-0.97 was where
// the bytes come from: two streams at once (tiles_one_token below) and
// weights wholly on huge pages (core/aligned_buffer: 2 MiB-aligned).
void tile_one_token(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int32_t* raw) {
  const __m256i m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C), ones = _mm256_set1_epi16(1);
  __m256i acc01 = _mm256_setzero_si256(), acc23 = acc01;
  const uint8_t* rows[4] = {w.chunk(o0, 0), w.chunk(o0 + 1, 0), w.chunk(o0 + 2, 0), w.chunk(o0 + 3, 0)};
  const int64_t cs = w.chunk_stride;
  constexpr int64_t kSpan = 8;  // 8 * 2048 < 32768
  for (int64_t k0 = 0; k0 < w.n_chunks; k0 += kSpan) {
    const int64_t k1 = k0 + kSpan < w.n_chunks ? k0 + kSpan : w.n_chunks;
    __m256i part[4];
    for (int r = 0; r < 4; ++r) part[r] = _mm256_setzero_si256();
    for (int64_t k = k0; k < k1; ++k) {
      _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(rows[0] + (k + 24) * cs + 64), _MM_HINT_T0);
      const int8_t* x = xq + 128 * k;
      for (int r = 0; r < 4; ++r) {
        const __m256i b = load256(rows[r] + k * cs), b4 = _mm256_srli_epi16(b, 4);
        // bits 1:0 -> columns 96+p (x3), 5:4 -> 32+p (x1); 3:2 -> 64+p (x2), 7:6 -> p (x0)
        const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(b, m03), load256(x + 96)),
                                            _mm256_maddubs_epi16(_mm256_and_si256(b4, m03), load256(x + 32)));
        const __m256i s4 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(b, m0c), load256(x + 64)),
                                            _mm256_maddubs_epi16(_mm256_and_si256(b4, m0c), load256(x)));
        part[r] = _mm256_add_epi16(part[r], _mm256_add_epi16(s1, _mm256_srai_epi16(s4, 2)));
      }
    }
    acc01 = _mm256_add_epi32(acc01, _mm256_hadd_epi32(_mm256_madd_epi16(part[0], ones), _mm256_madd_epi16(part[1], ones)));
    acc23 = _mm256_add_epi32(acc23, _mm256_hadd_epi32(_mm256_madd_epi16(part[2], ones), _mm256_madd_epi16(part[3], ones)));
  }
  // hadd lanes: [a01 a23 b01 b23 | a45 a67 b45 b67] for rows a, b
  alignas(32) int32_t l[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(l), acc01);
  raw[0] = l[0] + l[1] + l[4] + l[5];
  raw[1] = l[2] + l[3] + l[6] + l[7];
  _mm256_store_si256(reinterpret_cast<__m256i*>(l), acc23);
  raw[2] = l[0] + l[1] + l[4] + l[5];
  raw[3] = l[2] + l[3] + l[6] + l[7];
}

// Decode of one token: the range's tiles as two streams (kernels/two_streams.hpp).
// Below 8 tiles (a 2-thread decode's 8 KiB pieces are 3) one stream.
void tiles_one_token(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq, int32_t* raw) {
  detail::for_each_two_streams((row_end - row_begin) / 4, 8,
                               [&](int64_t i) { tile_one_token(w, row_begin + 4 * i, xq, raw + 4 * i); });
}

void dot_codes_avx2(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                    int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  if (nt == 1) {
    tiles_one_token(w, row_begin, row_end, xq, raw);
    return;
  }
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    int64_t t = 0;
    // Prefill: one decode of a row's codes serves 4 tokens (1 row x 4 tokens keeps
    // the int16 spans and int32 sums in registers).
    for (; t + 4 <= nt; t += 4) {
      for (int i = 0; i < 4; ++i)
        rows_tokens<1, 4>(w, o + i, xq + t * x_stride, x_stride, r + t * raw_stride + i, raw_stride);
    }
    // Decode: 2 rows at a time (4 would spill: 16 ymm registers).
    for (; t < nt; ++t) tile_one_token(w, o, xq + t * x_stride, r + t * raw_stride);
  }
}

const TernaryKernels kAvx2{Isa::kAvx2, quantize_act_avx2, dot_codes_avx2, fwht_block_avx2,
                            dot_f32_avx2, axpy_f32_avx2};

}  // namespace

namespace {

// The exact path, 8 values: the quotient 127 x / gamma in double (exact
// product, correctly rounded division), round half away from zero built from
// truncation (v - trunc(v) is exact), NaN to 0, clamp.
inline __m128i quant4_exact(__m128 xf, __m256d g) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d v = _mm256_div_pd(_mm256_mul_pd(_mm256_cvtps_pd(xf), _mm256_set1_pd(127.0)), g);
  __m256d t = _mm256_round_pd(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256d frac = _mm256_andnot_pd(sign, _mm256_sub_pd(v, t));
  const __m256d away = _mm256_or_pd(_mm256_and_pd(v, sign), _mm256_set1_pd(1.0));  // copysign(1, v)
  t = _mm256_add_pd(t, _mm256_and_pd(_mm256_cmp_pd(frac, _mm256_set1_pd(0.5), _CMP_GE_OQ), away));
  t = _mm256_and_pd(t, _mm256_cmp_pd(v, v, _CMP_ORD_Q));  // NaN -> 0
  t = _mm256_min_pd(_mm256_max_pd(t, _mm256_set1_pd(-128.0)), _mm256_set1_pd(127.0));
  return _mm256_cvtpd_epi32(t);
}
inline __m256i quant8_exact(__m256 x, __m256d g) {
  return _mm256_setr_m128i(quant4_exact(_mm256_castps256_ps128(x), g), quant4_exact(_mm256_extractf128_ps(x, 1), g));
}

// The fast path, 8 values: x * fl(127 / gamma) in float is within 2^-23
// relative (<= 1.6e-5 absolute) of the true quotient, so it rounds the same
// way unless it lies within that distance of a half-integer; vectors with a
// lane within 1e-4 of one are redone on the exact path. Real activations
// almost never take it; exact ties (x = k gamma / 254) always do.
inline __m256i quant8(__m256 x, __m256 r, __m256d g) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 v = _mm256_mul_ps(x, r);
  __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
  const __m256 tie_dist = _mm256_andnot_ps(sign, _mm256_sub_ps(frac, _mm256_set1_ps(0.5f)));
  // not (dist >= 1e-4) also catches NaN lanes
  if (_mm256_movemask_ps(_mm256_cmp_ps(tie_dist, _mm256_set1_ps(1e-4f), _CMP_NGE_UQ))) return quant8_exact(x, g);
  const __m256 away = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
  t = _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), away));
  t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
  return _mm256_cvttps_epi32(t);
}

}  // namespace

// Same results as quantize_act_scalar, bit for bit.
int32_t quantize_act_avx2(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 m = _mm256_setzero_ps();
  int64_t k = 0;
  // max_ps returns its second operand when either is NaN: NaNs are skipped,
  // like fmax in the scalar code.
  for (; k + 8 <= in; k += 8) m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), absmask), m);
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
  float gamma = _mm_cvtss_f32(m4);
  for (; k < in; ++k) gamma = std::fmax(gamma, std::fabs(x[k]));
  *act_scale = gamma / 127.0f;
  if (!(gamma > 0.0f)) {
    for (int64_t j = 0; j < in_pad; ++j) q[j] = 0;
    return 0;
  }
  const __m256d g = _mm256_set1_pd(double(gamma));
  const float rf = 127.0f / gamma;
  const bool fast = std::isfinite(rf) && std::isfinite(gamma);  // tiny gamma: 127 / gamma overflows float
  const __m256 r = _mm256_set1_ps(rf);
  auto q8 = [&](__m256 v) { return fast ? quant8(v, r, g) : quant8_exact(v, g); };
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  __m256i sum = _mm256_setzero_si256();
  auto quant32 = [&](const float* p, int8_t* dst) {
    const __m256i a = q8(_mm256_loadu_ps(p)), b = q8(_mm256_loadu_ps(p + 8));
    const __m256i c = q8(_mm256_loadu_ps(p + 16)), d = q8(_mm256_loadu_ps(p + 24));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d)));
    // packs work per 128-bit lane: undo the interleave with one permute
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_permutevar8x32_epi32(bytes, order));
  };
  for (k = 0; k + 32 <= in; k += 32) quant32(x + k, q + k);
  if (k < in) {  // the tail through a zero-padded copy (zeros quantize to 0)
    alignas(32) float tail[32] = {};
    alignas(32) int8_t qt[32];
    for (int64_t j = k; j < in; ++j) tail[j - k] = x[j];
    quant32(tail, qt);
    for (int64_t j = k; j < in; ++j) q[j] = qt[j - k];
  }
  for (int64_t j = in; j < in_pad; ++j) q[j] = 0;
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

const TernaryKernels* avx2_kernels() { return &kAvx2; }

}  // namespace lowbit

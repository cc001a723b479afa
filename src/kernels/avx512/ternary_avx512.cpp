// AVX-512 VNNI ternary kernels: one zmm holds the 32-byte chunks of two
// output rows, the 32 activations they multiply are broadcast to both
// halves, and vpdpbusd does codes (u8) x activations (s8) -> int32 in one
// instruction. Integer results equal the scalar reference exactly.
#include <immintrin.h>

// GCC 12's AVX-512 headers build casts and broadcasts from deliberately
// undefined registers and then warn about them.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cmath>

#include "kernels/avx2/act_quant_avx2.hpp"
#include "kernels/avx2/fwht_avx2.hpp"
#include "kernels/avx2/vec_f32_avx2.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/scalar/act_quant_scalar.hpp"
#include "kernels/two_streams.hpp"

namespace lowbit {

namespace {

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// The chunks of rows a and b (a in the low half).
template <bool kAdjacent>
inline __m512i load_pair(const uint8_t* a, const uint8_t* b) {
  if constexpr (kAdjacent) return _mm512_loadu_si512(a);
  return _mm512_inserti64x4(_mm512_castsi256_si512(load256(a)), load256(b), 1);
}

inline int32_t hsum_lo(__m512i v) { return _mm512_mask_reduce_add_epi32(0x00FF, v); }
inline int32_t hsum_hi(__m512i v) { return _mm512_mask_reduce_add_epi32(0xFF00, v); }

// The 4 rows of the tile at o0 times NB tokens. vpdpbusd has a latency of
// several cycles, so each (row pair, token) sums into A independent
// accumulators (column groups g spread over them), added up at the end.
template <int NB, bool kAdjacent>
void tile_tokens(const TernaryWeightsView& w, int64_t o0, const int8_t* xq, int64_t x_stride, int32_t* raw,
                 int64_t raw_stride) {
  constexpr int A = NB == 1 ? 4 : 2;
  const __m512i mask = _mm512_set1_epi8(3);
  __m512i acc01[NB][A], acc23[NB][A];
  for (int t = 0; t < NB; ++t)
    for (int a = 0; a < A; ++a) acc01[t][a] = acc23[t][a] = _mm512_setzero_si512();
  const uint8_t *r0 = w.chunk(o0, 0), *r1 = w.chunk(o0 + 1, 0), *r2 = w.chunk(o0 + 2, 0), *r3 = w.chunk(o0 + 3, 0);
  const int64_t cs = w.chunk_stride;
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    const __m512i b01 = load_pair<kAdjacent>(r0 + k * cs, r1 + k * cs);
    const __m512i b23 = load_pair<kAdjacent>(r2 + k * cs, r3 + k * cs);
    __m512i c01[4], c23[4];
    for (int g = 0; g < 4; ++g) {
      c01[g] = _mm512_and_si512(g == 3 ? b01 : _mm512_srli_epi16(b01, 6 - 2 * g), mask);
      c23[g] = _mm512_and_si512(g == 3 ? b23 : _mm512_srli_epi16(b23, 6 - 2 * g), mask);
    }
    const int8_t* xk = xq + 128 * k;
    for (int t = 0; t < NB; ++t) {
      for (int g = 0; g < 4; ++g) {
        const __m512i xv = _mm512_broadcast_i64x4(load256(xk + t * x_stride + 32 * g));
        acc01[t][g % A] = _mm512_dpbusd_epi32(acc01[t][g % A], c01[g], xv);
        acc23[t][g % A] = _mm512_dpbusd_epi32(acc23[t][g % A], c23[g], xv);
      }
    }
  }
  for (int t = 0; t < NB; ++t) {
    __m512i s01 = acc01[t][0], s23 = acc23[t][0];
    for (int a = 1; a < A; ++a) s01 = _mm512_add_epi32(s01, acc01[t][a]), s23 = _mm512_add_epi32(s23, acc23[t][a]);
    int32_t* r = raw + t * raw_stride;
    r[0] = hsum_lo(s01);
    r[1] = hsum_hi(s01);
    r[2] = hsum_lo(s23);
    r[3] = hsum_hi(s23);
  }
}

// Decode (one token): no shifts at all. Masking byte b with 0xC0, 0x30,
// 0x0C, 0x03 leaves 64, 16, 4, 1 times the codes of column groups 0..3;
// vpdpbusd multiplies them exactly (u8 x s8 products fit 16 bits, sums go to
// int32 without saturation), so each group gets its own accumulator and
// the scale is divided out at the end (exactly: every term is a multiple).
// |acc| <= 64 * 2 * 128 * in fits int32 for in <= 131072 (checked at pack).
template <bool kAdjacent>
void tile_one_token(const TernaryWeightsView& w, int64_t o0, const int8_t* x, int32_t* raw) {
  __m512i acc01[4], acc23[4];
  for (int g = 0; g < 4; ++g) acc01[g] = acc23[g] = _mm512_setzero_si512();
  const __m512i m[4] = {_mm512_set1_epi8(char(0xC0)), _mm512_set1_epi8(0x30), _mm512_set1_epi8(0x0C),
                        _mm512_set1_epi8(0x03)};
  const uint8_t *r0 = w.chunk(o0, 0), *r1 = w.chunk(o0 + 1, 0), *r2 = w.chunk(o0 + 2, 0), *r3 = w.chunk(o0 + 3, 0);
  const int64_t cs = w.chunk_stride;
  for (int64_t k = 0; k < w.n_chunks; ++k) {
    const __m512i b01 = load_pair<kAdjacent>(r0 + k * cs, r1 + k * cs);
    const __m512i b23 = load_pair<kAdjacent>(r2 + k * cs, r3 + k * cs);
    if constexpr (kAdjacent) {  // a few KB ahead of the stream: helps once weights come from DRAM
      _mm_prefetch(reinterpret_cast<const char*>(r0 + (k + 24) * cs), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(r0 + (k + 24) * cs + 64), _MM_HINT_T0);
    }
    const int8_t* xk = x + 128 * k;
    for (int g = 0; g < 4; ++g) {
      const __m512i xv = _mm512_broadcast_i64x4(load256(xk + 32 * g));
      acc01[g] = _mm512_dpbusd_epi32(acc01[g], _mm512_and_si512(b01, m[g]), xv);
      acc23[g] = _mm512_dpbusd_epi32(acc23[g], _mm512_and_si512(b23, m[g]), xv);
    }
  }
  auto combine = [](const __m512i* a) {
    return _mm512_add_epi32(_mm512_add_epi32(_mm512_srai_epi32(a[0], 6), _mm512_srai_epi32(a[1], 4)),
                            _mm512_add_epi32(_mm512_srai_epi32(a[2], 2), a[3]));
  };
  const __m512i s01 = combine(acc01), s23 = combine(acc23);
  raw[0] = hsum_lo(s01);
  raw[1] = hsum_hi(s01);
  raw[2] = hsum_lo(s23);
  raw[3] = hsum_hi(s23);
}

template <bool kAdjacent>
void dot_codes_impl(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                    int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  if (nt == 1) {  // decode: the range's tiles as two streams, as the AVX2 kernel (kernels/two_streams.hpp)
    detail::for_each_two_streams((row_end - row_begin) / 4, 8,
                                 [&](int64_t i) { tile_one_token<kAdjacent>(w, row_begin + 4 * i, xq, raw + 4 * i); });
    return;
  }
  for (int64_t o = row_begin; o < row_end; o += 4) {
    int32_t* r = raw + (o - row_begin);
    int64_t t = 0;
    for (; t + 4 <= nt; t += 4)
      tile_tokens<4, kAdjacent>(w, o, xq + t * x_stride, x_stride, r + t * raw_stride, raw_stride);
    for (; t < nt; ++t) tile_one_token<kAdjacent>(w, o, xq + t * x_stride, r + t * raw_stride);
  }
}

void dot_codes_avx512(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                      int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  if (w.row_stride == 32)  // lowbit's tiles: rows of a pair are adjacent
    dot_codes_impl<true>(w, row_begin, row_end, xq, x_stride, nt, raw, raw_stride);
  else
    dot_codes_impl<false>(w, row_begin, row_end, xq, x_stride, nt, raw, raw_stride);
}

// 16 activations on the fast path; lanes near a half-integer send the whole
// vector to the exact per-element formula (out of line: it is rare).
__attribute__((noinline)) __m512i quant16_exact(const float* x, float gamma) {
  alignas(64) int32_t lanes[16];
  for (int j = 0; j < 16; ++j) lanes[j] = quantize_one(x[j], gamma);
  return _mm512_load_si512(lanes);
}
inline __m512i quant16(__m512 xv, __m512 r, const float* x, float gamma) {
  const __m512 sign = _mm512_set1_ps(-0.0f), half = _mm512_set1_ps(0.5f);
  const __m512 v = _mm512_mul_ps(xv, r);
  __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = _mm512_andnot_ps(sign, _mm512_sub_ps(v, t));
  const __m512 tie_dist = _mm512_andnot_ps(sign, _mm512_sub_ps(frac, half));
  if (_mm512_cmp_ps_mask(tie_dist, _mm512_set1_ps(1e-4f), _CMP_NGE_UQ)) return quant16_exact(x, gamma);
  const __m512 away = _mm512_or_ps(_mm512_and_ps(v, sign), _mm512_set1_ps(1.0f));
  t = _mm512_mask_add_ps(t, _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ), t, away);
  t = _mm512_min_ps(_mm512_max_ps(t, _mm512_set1_ps(-128.0f)), _mm512_set1_ps(127.0f));
  return _mm512_cvttps_epi32(t);
}

// The activation quantizer, 16 lanes: the same fast path as the AVX2 one
// (x * fl(127 / gamma) in float, exact unless within 1e-4 of a half-integer)
// and, for the rare vector with such a lane, the exact per-element formula.
int32_t quantize_act_avx512(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale) {
  const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  // four independent max chains (vmaxps latency would serialize one)
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  int64_t k = 0;
  for (; k + 64 <= in; k += 64) {
    // max_ps returns its second operand when either is NaN: NaNs are skipped
    m0 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + k), absmask), m0);
    m1 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + k + 16), absmask), m1);
    m2 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + k + 32), absmask), m2);
    m3 = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(x + k + 48), absmask), m3);
  }
  for (; k < in; k += 16) {
    const __mmask16 live = in - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (in - k)) - 1);
    m0 = _mm512_max_ps(_mm512_and_ps(_mm512_maskz_loadu_ps(live, x + k), absmask), m0);
  }
  const __m512 m = _mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3));
  const float gamma = _mm512_reduce_max_ps(m);
  *act_scale = gamma / 127.0f;
  if (!(gamma > 0.0f) || !std::isfinite(127.0f / gamma) || !std::isfinite(gamma)) {
    const int32_t sum = quantize_act_avx2(x, in, in_pad, q, act_scale);
    return sum;
  }
  const __m512 r = _mm512_set1_ps(127.0f / gamma);
  __m512i sum = _mm512_setzero_si512();
  for (k = 0; k + 64 <= in; k += 64) {
    const __m512i a = quant16(_mm512_loadu_ps(x + k), r, x + k, gamma);
    const __m512i b = quant16(_mm512_loadu_ps(x + k + 16), r, x + k + 16, gamma);
    const __m512i c = quant16(_mm512_loadu_ps(x + k + 32), r, x + k + 32, gamma);
    const __m512i d = quant16(_mm512_loadu_ps(x + k + 48), r, x + k + 48, gamma);
    sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_add_epi32(a, b), _mm512_add_epi32(c, d)));
    // packs work per 128-bit lane: one permute restores the element order
    const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
    _mm512_storeu_si512(q + k, _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), bytes));
  }
  for (; k < in; k += 16) {
    const __mmask16 live = in - k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (in - k)) - 1);
    alignas(64) float tail[16];
    _mm512_store_ps(tail, _mm512_maskz_loadu_ps(live, x + k));  // zeros past the end quantize to 0
    const __m512i qi = quant16(_mm512_load_ps(tail), r, tail, gamma);
    sum = _mm512_add_epi32(sum, qi);
    alignas(16) int8_t qb[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(qb), _mm512_cvtsepi32_epi8(qi));
    for (int j = 0; j < 16 && k + j < in; ++j) q[k + j] = qb[j];
  }
  for (int64_t j = in; j < in_pad; ++j) q[j] = 0;
  return _mm512_reduce_add_epi32(sum);
}

const TernaryKernels kAvx512{Isa::kAvx512, quantize_act_avx512, dot_codes_avx512, fwht_block_avx2,
                              dot_f32_avx2, axpy_f32_avx2};

}  // namespace

const TernaryKernels* avx512_kernels() { return &kAvx512; }

}  // namespace lowbit

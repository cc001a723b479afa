// The ggml integer rows of the format registry that hold embeddings and
// output heads: Q8_0, Q6_K and Q4_0, both ways. The encoders are ggml's
// reference quantizers (quantize_row_*_ref, make_qx_quants for Q6_K),
// bit-exact with them built without FMA contraction; layouts in
// docs/FORMATS.md.
#pragma once

#include <cstdint>

namespace lowbit {

inline constexpr int64_t kQ8Block = 32, kQ8BlockBytes = 34;     // {fp16 d; int8 qs[32]}
inline constexpr int64_t kQ6KBlock = 256, kQ6KBlockBytes = 210;  // {ql[128]; qh[64]; int8 sc[16]; fp16 d}
inline constexpr int64_t kQ4Block = 32, kQ4BlockBytes = 18;      // {fp16 d; uint8 qs[16]}
// ggml's Q8_K, the activation blocks of its K-quant dot products (not a file format):
inline constexpr int64_t kQ8KBlock = 256, kQ8KBlockBytes = 292;  // {f32 d; int8 qs[256]; int16 bsums[16]}

void q8_0_to_float(const void* src, float* dst, int64_t n);
void q8_0_from_float(const float* src, void* dst, int64_t n);
// Q8_K with the Q8_0 rounding rule (d = absmax / 127 > 0), bsums the sums
// of each 16 codes.
void q8_k_from_float(const float* src, void* dst, int64_t n);
void q6_k_to_float(const void* src, float* dst, int64_t n);
void q6_k_from_float(const float* src, void* dst, int64_t n);
void q4_0_to_float(const void* src, float* dst, int64_t n);
void q4_0_from_float(const float* src, void* dst, int64_t n);

}  // namespace lowbit

// The ggml integer rows of the format registry that BitNet files use for
// embeddings: Q8_0 (both ways) and Q6_K (to float only: lowbit reads Q6_K
// token embeddings but never writes them). Bit-exact with ggml-quants.c;
// layouts in docs/FORMATS.md.
#pragma once

#include <cstdint>

namespace lowbit {

inline constexpr int64_t kQ8Block = 32, kQ8BlockBytes = 34;     // {fp16 d; int8 qs[32]}
inline constexpr int64_t kQ6KBlock = 256, kQ6KBlockBytes = 210;  // {ql[128]; qh[64]; int8 sc[16]; fp16 d}

void q8_0_to_float(const void* src, float* dst, int64_t n);
void q8_0_from_float(const float* src, void* dst, int64_t n);
void q6_k_to_float(const void* src, float* dst, int64_t n);

}  // namespace lowbit

// The AVX2 per-token activation quantizer (also used by the AVX-512 table:
// it is a small share of the GEMV time and exact either way).
#pragma once

#include <cstdint>

namespace lowbit {

int32_t quantize_act_avx2(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale);

}  // namespace lowbit

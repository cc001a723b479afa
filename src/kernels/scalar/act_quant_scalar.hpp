// The scalar per-token activation quantizer, shared by the scalar table and
// by SIMD tables for the cases their vector code does not cover.
#pragma once

#include <cstdint>

namespace lowbit {

int32_t quantize_act_scalar(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale);

}  // namespace lowbit

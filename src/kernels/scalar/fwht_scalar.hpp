// The scalar f32 Walsh-Hadamard block (the reference of the SIMD ones).
#pragma once

#include <cstdint>

namespace lowbit {

void fwht_block_scalar(float* x, int64_t n);

}  // namespace lowbit

// The AVX2 Walsh-Hadamard block (also used by the AVX-512 table).
#pragma once

#include <cstdint>

namespace lowbit {

void fwht_block_avx2(float* x, int64_t n);

}  // namespace lowbit

// The SiLU gate of the llama/bitnet FFN, one token row:
// out[i] = s(x) * (u[i] * su) with x = g[i] * sg and s(x) = x / (1 + e^-x).
// Run serially between a decode step's matrix passes, so it is a kernel:
// with libm's expf per element it took more time than the rest of the
// step's serial work together. The AVX2 version (also AVX-512's) evaluates
// e^-x by Cody-Waite reduction and the minimax polynomial of the Cephes
// library's expf (about 1 ulp); the portable one calls std::exp. out may be g.
#pragma once

#include <cstdint>

#include "kernels/isa.hpp"

namespace lowbit {

using SiluGateFn = void (*)(const float* g, const float* u, int64_t n, float sg, float su, float* out);

void silu_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out);

// One ISA's implementation, null where absent (AVX-512 uses AVX2's).
SiluGateFn silu_gate_for(Isa isa);

}  // namespace lowbit

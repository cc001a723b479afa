// The relu^2 gate of 2B4T's FFN, one token row:
// out[i] = relu(g[i] * sg)^2 * (u[i] * su), written so that it vectorizes
// (it runs serially in a decode step). out may be g itself. The SiLU gate
// of the other families is a kernel: kernels/silu_gate.hpp.
#pragma once

#include <cstdint>

namespace lowbit {

void relu2_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out);

}  // namespace lowbit

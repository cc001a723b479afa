// The gated FFN activations of the decoder families, one token row:
// out[i] = act(g[i] * sg) * (u[i] * su), with act = relu^2 (2B4T) or
// SiLU x / (1 + e^-x) (llama, bitnet's default). Scalar in the model's
// decode step, so both are written to vectorize. out may be g itself.
#pragma once

#include <cstdint>

namespace lowbit {

void relu2_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out);
void silu_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out);

}  // namespace lowbit

#include "kernels/silu_gate.hpp"

#include <cmath>

namespace lowbit {

#if defined(__x86_64__)
namespace avx2 {
void silu_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out);
}
#endif

namespace {
void silu_gate_portable(const float* g, const float* u, int64_t n, float sg, float su, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = g[i] * sg;
    out[i] = x / (1.0f + std::exp(-x)) * (u[i] * su);
  }
}
}  // namespace

SiluGateFn silu_gate_for(Isa isa) {
  IsaEntries<SiluGateFn> e{.scalar = silu_gate_portable};
#if defined(__x86_64__)
  e.avx2 = avx2::silu_gate;
#endif
  return entry_if_supported(isa, e);
}

void silu_gate(const float* g, const float* u, int64_t n, float sg, float su, float* out) {
  static const SiluGateFn fn = pick_for_chosen_isa(silu_gate_for);
  fn(g, u, n, sg, su, out);
}

}  // namespace lowbit

#include "kernels/dispatch.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/cpu_features.hpp"

namespace lowbit {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "?";
}

const TernaryKernels* kernels_for(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return scalar_kernels();
#if defined(__x86_64__)
    case Isa::kAvx2: return f.has_avx2() ? avx2_kernels() : nullptr;
    case Isa::kAvx512: return f.has_avx2() && f.has_avx512() && f.avx512vnni ? avx512_kernels() : nullptr;
#endif
#if defined(__aarch64__)
    case Isa::kNeon: return f.neon && f.dotprod ? neon_kernels() : nullptr;
#endif
    default: return nullptr;
  }
}

namespace {
const TernaryKernels& choose() {
  if (const char* env = std::getenv("LOWBIT_ISA")) {
    const std::string_view want(env);
    for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
      if (want != isa_name(isa)) continue;
      if (const TernaryKernels* k = kernels_for(isa)) return *k;
      std::fprintf(stderr, "lowbit: LOWBIT_ISA=%s is not available on this host; using the best available\n", env);
    }
  }
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2, Isa::kNeon})
    if (const TernaryKernels* k = kernels_for(isa)) return *k;
  return *scalar_kernels();
}
}  // namespace

const TernaryKernels& kernels() {
  static const TernaryKernels& k = choose();
  return k;
}

}  // namespace lowbit

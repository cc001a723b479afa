#include "kernels/dispatch.hpp"

namespace lowbit {

const TernaryKernels* kernels_for(Isa isa) {
  IsaEntries<const TernaryKernels*> e{.scalar = scalar_kernels()};
#if defined(__x86_64__)
  e.avx2 = avx2_kernels(), e.avxvnni = avxvnni_kernels(), e.avx512 = avx512_kernels();
#endif
#if defined(__aarch64__)
  e.neon = neon_kernels();
#endif
  return entry_if_supported(isa, e);
}

const TernaryKernels& kernels() {
  static const TernaryKernels& k = *pick_for_chosen_isa(kernels_for);
  return k;
}

}  // namespace lowbit

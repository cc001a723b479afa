#include "kernels/a8_kernels.hpp"

namespace lowbit {

const A8Kernels* a8_kernels_for(Isa isa) {
  IsaEntries<const A8Kernels*> e{.scalar = scalar_a8_kernels()};
#if defined(__x86_64__)
  e.avx2 = avx2_a8_kernels(), e.avxvnni = avxvnni_a8_kernels(), e.avx512 = avx512_a8_kernels();
#endif
  return entry_if_supported(isa, e);  // NEON: none (the fallback runs scalar)
}

const A8Kernels& a8_kernels() {
  static const A8Kernels& k = *pick_for_chosen_isa(a8_kernels_for);
  return k;
}

}  // namespace lowbit

#include "kernels/a8_kernels.hpp"

namespace lowbit {

const A8Kernels* a8_kernels_for(Isa isa) {
  if (!kernels_for(isa)) return nullptr;  // not compiled in or not runnable here
  switch (isa) {
    case Isa::kScalar: return scalar_a8_kernels();
#if defined(__x86_64__)
    case Isa::kAvx2: return avx2_a8_kernels();
    case Isa::kAvx512: return avx512_a8_kernels();
#endif
    default: return nullptr;
  }
}

const A8Kernels& a8_kernels() {
  static const A8Kernels& k = [&]() -> const A8Kernels& {
    const A8Kernels* t = a8_kernels_for(kernels().isa);
    return t ? *t : *scalar_a8_kernels();
  }();
  return k;
}

}  // namespace lowbit

// NEON (dotprod) ternary kernels: not written yet; the dispatch falls back to
// the scalar table on AArch64 until they are.
#include "kernels/dispatch.hpp"

namespace lowbit {

const TernaryKernels* neon_kernels() { return nullptr; }

}  // namespace lowbit

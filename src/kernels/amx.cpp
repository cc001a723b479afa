#include "kernels/amx.hpp"

#include "core/cpu_features.hpp"
#include "kernels/isa.hpp"

#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace lowbit {

bool amx_usable() {
  static const bool usable = [] {
#if defined(__x86_64__) && defined(__linux__)
    const CpuFeatures& f = cpu_features();
    if (!f.amx_tile || !f.amx_bf16 || !f.amx_int8 || chosen_isa() != Isa::kAvx512) return false;
    constexpr long kReqXcompPerm = 0x1023, kXfeatureTileData = 18;  // asm/prctl.h, the XTILEDATA component
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureTileData) == 0;
#else
    return false;
#endif
  }();
  return usable;
}

}  // namespace lowbit

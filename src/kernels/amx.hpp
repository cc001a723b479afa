// Whether this process may run the AMX tile kernels (kernels/int8_grad.hpp):
// the CPU has AMX with bf16 and int8 (core/cpu_features.hpp), the chosen ISA
// is AVX-512 (LOWBIT_ISA=avx2 or scalar turns AMX off with the rest), and
// Linux granted the process the tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM, asked once here: without it the first tile
// instruction kills the process).
#pragma once

namespace lowbit {

bool amx_usable();

}  // namespace lowbit

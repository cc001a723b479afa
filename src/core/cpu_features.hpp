// What the CPU (and the OS, for the wide registers) supports, read once from
// CPUID/XGETBV on x86 and from the auxiliary vector on AArch64. The kernel
// dispatch table is chosen from this; `lowbit info --system` prints it.
#pragma once

#include <string>

namespace lowbit {

struct CpuFeatures {
  std::string vendor, brand;
  bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false, bmi2 = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  bool avx_vnni = false;  // VEX-encoded VNNI (Alder Lake, Zen 5)
  // AMX tiles with bf16 and int8 dot products (Sapphire Rapids and later),
  // the OS saving the tile state (XCR0 bits 17, 18). Linux also wants each
  // process to ask for the tile data first (kernels/amx.hpp does).
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  bool neon = false, dotprod = false, i8mm = false;

  bool has_avx2() const { return avx2 && fma && f16c; }
  bool has_avx512() const { return avx512f && avx512bw && avx512vl && avx512dq; }

  std::string summary() const;  // "avx2 fma f16c avx512f ..." (only what is present)
};

// Detected once, thread-safe.
const CpuFeatures& cpu_features();

}  // namespace lowbit

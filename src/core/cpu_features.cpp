#include "core/cpu_features.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace lowbit {

namespace {

#if defined(__x86_64__) || defined(_M_X64)
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) { __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]); }

uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  uint32_t r[4];
  cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  char vendor[13] = {};
  std::memcpy(vendor, &r[1], 4);
  std::memcpy(vendor + 4, &r[3], 4);
  std::memcpy(vendor + 8, &r[2], 4);
  f.vendor = vendor;

  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(brand + 16 * i, r, 16);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
  }

  cpuid(1, 0, r);
  const bool osxsave = r[2] & (1u << 27);
  f.sse42 = r[2] & (1u << 20);
  f.fma = r[2] & (1u << 12);
  f.f16c = r[2] & (1u << 29);
  const bool avx_hw = r[2] & (1u << 28);
  // The OS must save the YMM (bits 1,2) and ZMM/opmask (bits 5,6,7) state.
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
  f.avx = avx_hw && os_ymm;
  f.fma = f.fma && os_ymm;
  f.f16c = f.f16c && os_ymm;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    const uint32_t max_subleaf7 = r[0];
    f.avx2 = os_ymm && (r[1] & (1u << 5));
    f.bmi2 = r[1] & (1u << 8);
    f.avx512f = os_zmm && (r[1] & (1u << 16));
    f.avx512dq = os_zmm && (r[1] & (1u << 17));
    f.avx512bw = os_zmm && (r[1] & (1u << 30));
    f.avx512vl = os_zmm && (r[1] & (1u << 31));
    f.avx512vnni = os_zmm && (r[2] & (1u << 11));
    const bool os_tiles = (xcr0 & 0x60000) == 0x60000;
    f.amx_bf16 = os_tiles && (r[3] & (1u << 22));
    f.amx_tile = os_tiles && (r[3] & (1u << 24));
    f.amx_int8 = os_tiles && (r[3] & (1u << 25));
    // AVX-VNNI is CPUID.(EAX=7, ECX=1):EAX bit 4; subleaf 1 exists only where
    // subleaf 0 reports it (EAX = the highest subleaf), else it reads garbage.
    if (max_subleaf7 >= 1) {
      cpuid(7, 1, r);
      f.avx_vnni = os_ymm && (r[0] & (1u << 4));
    }
  }
  return f;
}
#elif defined(__aarch64__)
CpuFeatures detect() {
  CpuFeatures f;
  f.vendor = "arm";
  f.neon = true;  // mandatory in AArch64
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  f.dotprod = hw & HWCAP_ASIMDDP;
#ifdef HWCAP2_I8MM
  f.i8mm = hw2 & HWCAP2_I8MM;
#else
  (void)hw2;
#endif
#endif
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

}  // namespace

std::string CpuFeatures::summary() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(sse42, "sse4.2");
  add(avx, "avx");
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(bmi2, "bmi2");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512dq, "avx512dq");
  add(avx512vnni, "avx512vnni");
  add(avx_vnni, "avx-vnni");
  add(amx_tile, "amx-tile");
  add(amx_bf16, "amx-bf16");
  add(amx_int8, "amx-int8");
  add(neon, "neon");
  add(dotprod, "dotprod");
  add(i8mm, "i8mm");
  return s.empty() ? "none" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace lowbit

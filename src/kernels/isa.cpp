#include "kernels/isa.hpp"

#include <array>
#include <cstdlib>

#include "core/cpu_features.hpp"
#include "core/error.hpp"

namespace lowbit {

namespace {
constexpr std::array<Isa, 5> kAllIsas = {Isa::kScalar, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512, Isa::kNeon};

Isa choose_isa() {
  if (const char* env = std::getenv("LOWBIT_ISA"); env && *env) {
    const std::optional<Isa> want = parse_isa(env);
    LOWBIT_CHECK(want.has_value(), "LOWBIT_ISA={}: unknown instruction set (scalar, avx2, avxvnni, avx512 or neon)",
                 env);
    LOWBIT_CHECK(isa_supported(*want), "LOWBIT_ISA={}: this CPU or build cannot run it (CPU features: {})", env,
                 cpu_features().summary());
    return *want;
  }
  for (Isa isa : {Isa::kAvx512, Isa::kAvxVnni, Isa::kAvx2, Isa::kNeon})
    if (isa_supported(isa)) return isa;
  return Isa::kScalar;
}
}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvxVnni: return "avxvnni";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "?";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas)
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

std::span<const Isa> all_isas() { return kAllIsas; }

bool isa_supported(Isa isa) {
  [[maybe_unused]] const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(__x86_64__)
    case Isa::kAvx2: return f.has_avx2();
    case Isa::kAvxVnni: return f.has_avx2() && f.avx_vnni;
    // The AVX-512 kernels use VNNI (vpdpbusd) as well as F/BW/VL/DQ.
    case Isa::kAvx512: return f.has_avx2() && f.has_avx512() && f.avx512vnni;
#endif
#if defined(__aarch64__)
    case Isa::kNeon: return f.neon && f.dotprod;
#endif
    default: return false;
  }
}

Isa chosen_isa() {
  static const Isa isa = choose_isa();
  return isa;
}

std::optional<Isa> isa_fallback(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
    case Isa::kAvxVnni: return Isa::kAvx2;
    case Isa::kAvx2:
    case Isa::kNeon: return Isa::kScalar;
    case Isa::kScalar: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace lowbit

// The instruction sets lowbit has kernels for, and the one place that picks
// which of them this process runs: CPUID (core/cpu_features.hpp), unless
// LOWBIT_ISA=scalar|avx2|avxvnni|avx512|neon names one. avxvnni is AVX2 plus
// the VEX-encoded vpdpbusd (CPUs with AVX-VNNI but no AVX-512: Alder Lake and
// later client cores, Zen 5 client parts); only the int8 families have
// kernels of their own for it, the others run its fallback, avx2. Every kernel family (the
// ternary table of kernels/dispatch.hpp, the A8 table, the LUT kernels, the
// SGEMM, the f16 head) asks pick_for_chosen_isa for its entry: no family
// tests the ISA or reads LOWBIT_ISA itself.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace lowbit {

enum class Isa : uint8_t { kScalar, kAvx2, kAvxVnni, kAvx512, kNeon };

const char* isa_name(Isa isa);  // "scalar", "avx2", "avxvnni", "avx512", "neon"
std::optional<Isa> parse_isa(std::string_view name);
// Every ISA, compiled in or not (tests iterate this and skip what the host lacks).
std::span<const Isa> all_isas();
// Compiled into this binary and runnable on this CPU.
bool isa_supported(Isa isa);
// What this process runs: LOWBIT_ISA if set, else the best supported ISA.
// Throws lowbit::Error on an unknown or unsupported LOWBIT_ISA value.
Isa chosen_isa();
// The ISA a family without a kernel for `isa` falls back to (avx512 ->
// avx2 -> scalar, avxvnni -> avx2, neon -> scalar); scalar has no fallback.
// (avx512 does not fall back to avxvnni: a CPU with AVX-512 VNNI need not
// have the VEX encoding.)
std::optional<Isa> isa_fallback(Isa isa);

// A family's entries by ISA (null where it has none or the build lacks the
// ISA); entry_if_supported gives the one of an ISA this host can run.
template <class Entry>
struct IsaEntries {
  Entry scalar = nullptr, avx2 = nullptr, avxvnni = nullptr, avx512 = nullptr, neon = nullptr;
};
template <class Entry>
Entry entry_if_supported(Isa isa, const IsaEntries<Entry>& e) {
  if (!isa_supported(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return e.scalar;
    case Isa::kAvx2: return e.avx2;
    case Isa::kAvxVnni: return e.avxvnni;
    case Isa::kAvx512: return e.avx512;
    case Isa::kNeon: return e.neon;
  }
  return nullptr;
}

// The ISA whose entry a family runs when `isa` is chosen: the first of isa
// and its fallbacks for which for_isa gives a non-null entry (for_isa returns
// null for what is absent or unsupported; for_isa(kScalar) must not be null).
template <class Entry>
Isa picked_isa(Entry (*for_isa)(Isa), Isa isa) {
  for (std::optional<Isa> i = isa; i; i = isa_fallback(*i))
    if (for_isa(*i)) return *i;
  return Isa::kScalar;
}
template <class Entry>
Isa picked_isa(Entry (*for_isa)(Isa)) {
  return picked_isa(for_isa, chosen_isa());
}
// That entry (tests: pick_for_isa(isa, f) is what runs when isa is chosen).
template <class Entry>
Entry pick_for_isa(Isa isa, Entry (*for_isa)(Isa)) {
  return for_isa(picked_isa(for_isa, isa));
}
template <class Entry>
Entry pick_for_chosen_isa(Entry (*for_isa)(Isa)) {
  return pick_for_isa(chosen_isa(), for_isa);
}

}  // namespace lowbit

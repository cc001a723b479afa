// The one ISA chooser (kernels/isa.hpp): names, fallbacks, and LOWBIT_ISA
// values it must refuse with a clear error. The choice is made once per
// process, so the LOWBIT_ISA cases ask a child process (this test binary,
// running only Isa.ReportChosen).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "kernels/a8_kernels.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/f16_matmul.hpp"
#include "kernels/sgemm.hpp"
#include "kernels/ternary_lut.hpp"

using namespace lowbit;

namespace {

std::string run_self_with_isa(const std::string& value) {
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return "readlink failed";
  const std::string cmd = "LOWBIT_ISA=" + value + " '" + self + "' --gtest_filter='Isa.ReportChosen' 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

}  // namespace

TEST(Isa, NamesRoundTripAndScalarIsAlwaysThere) {
  EXPECT_EQ(all_isas().size(), 5u);
  EXPECT_EQ(parse_isa("avxvnni"), Isa::kAvxVnni);
  for (Isa isa : all_isas()) EXPECT_EQ(parse_isa(isa_name(isa)), isa);
  EXPECT_FALSE(parse_isa("avx512vnni").has_value());
  EXPECT_FALSE(parse_isa("").has_value());
  EXPECT_TRUE(isa_supported(Isa::kScalar));
  EXPECT_TRUE(isa_supported(chosen_isa()));
}

TEST(Isa, FallbacksEndAtScalar) {
  EXPECT_EQ(isa_fallback(Isa::kAvx512), Isa::kAvx2);
  EXPECT_EQ(isa_fallback(Isa::kAvxVnni), Isa::kAvx2);
  EXPECT_EQ(isa_fallback(Isa::kAvx2), Isa::kScalar);
  EXPECT_EQ(isa_fallback(Isa::kNeon), Isa::kScalar);
  EXPECT_FALSE(isa_fallback(Isa::kScalar).has_value());
}

TEST(Isa, EveryFamilyRunsTheChosenIsaOrItsFallback) {
  const Isa chosen = chosen_isa();
  auto on_chain = [&](Isa got) {
    for (std::optional<Isa> i = chosen; i; i = isa_fallback(*i))
      if (*i == got) return true;
    return false;
  };
  EXPECT_EQ(kernels().isa, chosen);  // every ISA has a ternary table
  EXPECT_TRUE(on_chain(a8_kernels().isa));
  EXPECT_TRUE(on_chain(ternary_lut_kernels().isa));
  EXPECT_TRUE(on_chain(sgemm_isa()));
  EXPECT_TRUE(on_chain(f16_matmul_isa()));
}

// What the child process prints for the tests below.
TEST(Isa, ReportChosen) {
  try {
    std::printf("chosen: %s\n", isa_name(chosen_isa()));
    std::printf("ternary: %s\n", isa_name(kernels().isa));
  } catch (const Error& e) {
    std::printf("error: %s\n", e.what());
  }
}

TEST(Isa, LowbitIsaPicksEveryFamily) {
  const std::string out = run_self_with_isa("scalar");
  EXPECT_NE(out.find("chosen: scalar"), std::string::npos) << out;
  EXPECT_NE(out.find("ternary: scalar"), std::string::npos) << out;
}

// avxvnni has its own ternary and int8 tables; the families without one
// (the f16 head, the SGEMM) run avx2, its fallback.
TEST(Isa, LowbitIsaAvxVnniPicksItsTablesAndFallsBackToAvx2) {
  if (!isa_supported(Isa::kAvxVnni)) GTEST_SKIP() << "no AVX-VNNI on this host";
  const std::string out = run_self_with_isa("avxvnni");
  EXPECT_NE(out.find("chosen: avxvnni"), std::string::npos) << out;
  EXPECT_NE(out.find("ternary: avxvnni"), std::string::npos) << out;
  EXPECT_EQ(pick_for_isa(Isa::kAvxVnni, a8_kernels_for)->isa, Isa::kAvxVnni);
  EXPECT_EQ(picked_isa(f16_rows_for, Isa::kAvxVnni), Isa::kAvx2);
}

TEST(Isa, UnknownLowbitIsaIsAClearError) {
  const std::string out = run_self_with_isa("sse9");
  EXPECT_NE(out.find("error: LOWBIT_ISA=sse9: unknown instruction set"), std::string::npos) << out;
}

TEST(Isa, UnsupportedLowbitIsaIsAClearError) {
  for (Isa isa : all_isas()) {
    if (isa_supported(isa)) continue;  // looking for one this host lacks (NEON on x86, AVX2 on ARM)
    const std::string out = run_self_with_isa(isa_name(isa));
    EXPECT_NE(out.find(std::string("error: LOWBIT_ISA=") + isa_name(isa) + ": this CPU or build cannot run it"),
              std::string::npos)
        << out;
    return;
  }
  GTEST_SKIP() << "this host supports every ISA";
}

// Tests parameterized over all_isas() (kernels/isa.hpp): one test per ISA,
// named after it (Suite/Name/avx2), and GTEST_SKIP where this CPU or build
// cannot run it, so a missing ISA shows as skipped instead of passing.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "kernels/isa.hpp"

namespace lowbit {

class PerIsa : public ::testing::TestWithParam<Isa> {};

// So that CTest lists "GetParam() = avx2", not the enum's bytes.
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }

inline std::string isa_test_name(const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

}  // namespace lowbit

#define LOWBIT_INSTANTIATE_PER_ISA(fixture)                                                                      \
  INSTANTIATE_TEST_SUITE_P(Isa, fixture, ::testing::ValuesIn(::lowbit::all_isas().begin(), ::lowbit::all_isas().end()), \
                           ::lowbit::isa_test_name)

// In a PerIsa test body: skip unless the host can run `isa`.
#define LOWBIT_SKIP_UNSUPPORTED_ISA(isa)                                                              \
  do {                                                                                                \
    if (!::lowbit::isa_supported(isa))                                                                \
      GTEST_SKIP() << ::lowbit::isa_name(isa) << " is not supported by this CPU or build";            \
  } while (0)

// The f32 Walsh-Hadamard kernels: hand-computed values, the double-precision
// reference of quant/hadamard.hpp within the stated bound, every SIMD table
// bit for bit against the scalar one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/rng.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/fwht.hpp"
#include "quant/hadamard.hpp"
#include "../common/per_isa.hpp"

using namespace lowbit;

class FwhtPerIsa : public PerIsa {};

TEST_P(FwhtPerIsa, HandComputed) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  std::vector<float> a = {1.0f, 2.0f};
  fwht_f32(a.data(), 2, *kernels_for(Isa::kScalar));
  EXPECT_FLOAT_EQ(a[0], 3.0f / std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(a[1], -1.0f / std::sqrt(2.0f));
  std::vector<float> b(16, 0.0f);
  b[0] = 1.0f;  // first column of H_16: all 1/4
  {
    std::vector<float> v = b;
    fwht_f32(v.data(), 16, *k);
    for (float e : v) EXPECT_EQ(e, 0.25f) << isa_name(isa);
  }
  std::vector<float> odd = {1.0f, 2.0f, 3.0f};  // block of 1: identity
  fwht_f32(odd.data(), 3);
  EXPECT_EQ(odd, (std::vector<float>{1.0f, 2.0f, 3.0f}));
}

TEST_P(FwhtPerIsa, MatchesDoubleReferenceAndSimdMatchesScalar) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  Rng rng(4);
  for (int64_t n : {2, 4, 8, 16, 64, 512, 2560, 6912, 12, 24, 40}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = rng.normal() * 3.0f;
    double norm2 = 0;
    for (float v : x) norm2 += double(v) * v;
    std::vector<float> ref = x;
    fwht(ref.data(), n);
    const int64_t block = n & -n;
    const double bound = (std::log2(double(block)) + 2) * 0x1p-24 * std::sqrt(norm2);
    std::vector<float> s = x;
    fwht_f32(s.data(), n, *kernels_for(Isa::kScalar));
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(s[size_t(i)], ref[size_t(i)], bound) << "n=" << n << " i=" << i;
    {
      std::vector<float> v = x;
      fwht_f32(v.data(), n, *k);
      EXPECT_EQ(std::memcmp(v.data(), s.data(), size_t(n) * 4), 0) << isa_name(isa) << " n=" << n;
    }
    // Its own inverse.
    fwht_f32(s.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(s[size_t(i)], x[size_t(i)], 2 * bound) << "n=" << n;
  }
}

LOWBIT_INSTANTIATE_PER_ISA(FwhtPerIsa);

// Ternary W1.58 x A8 kernels: the scalar reference against plain loops and
// hand-computed values; every SIMD table against the scalar one, bit for bit
// (int32 accumulators and the final floats); repacking from every format.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "formats/format.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/ternary_matmul.hpp"
#include "../common/per_isa.hpp"

using namespace lowbit;

namespace {

std::vector<int8_t> random_ternary(Rng& rng, int64_t n, int zero_percent = 30) {
  std::vector<int8_t> w(static_cast<size_t>(n));
  for (auto& v : w) {
    const int r = int(rng.next_u64() % 100);
    v = r < zero_percent ? 0 : (r % 2 ? 1 : -1);
  }
  return w;
}

std::vector<float> random_acts(Rng& rng, int64_t n, float scale = 1.0f) {
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = rng.normal() * scale;
  return x;
}

// Plain loop: sum_k w[o,k] * xq[t,k].
std::vector<int32_t> triple_loop(const std::vector<int8_t>& w, const QuantizedActivations& xq, int64_t out) {
  std::vector<int32_t> acc(static_cast<size_t>(xq.tokens * out));
  for (int64_t t = 0; t < xq.tokens; ++t)
    for (int64_t o = 0; o < out; ++o) {
      int32_t s = 0;
      for (int64_t k = 0; k < xq.in; ++k) s += int32_t(w[size_t(o * xq.in + k)]) * xq.row(t)[k];
      acc[size_t(t * out + o)] = s;
    }
  return acc;
}


struct Shape3 {
  int64_t out, in, tokens;
};
const Shape3 kShapes[] = {{1, 1, 1},    {3, 5, 2},    {4, 128, 1},  {5, 129, 3},   {13, 300, 5},
                          {64, 256, 7}, {33, 1000, 9}, {8, 2560, 17}, {260, 384, 4}, {7, 6912, 2},
                          {2100, 512, 20}};  // the last: several row blocks in prefill

}  // namespace

TEST(ActQuant, HandComputedValues) {
  // gamma = 127: the quotient is x itself; halves round away from zero.
  const std::vector<float> x = {127.0f, -127.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.49f, 0.0f, 63.5f};
  std::vector<int8_t> q(128);
  float s = 0;
  const int32_t sum = scalar_kernels()->quantize_act(x.data(), int64_t(x.size()), 128, q.data(), &s);
  const std::vector<int8_t> want = {127, -127, 1, -1, 2, 3, -3, 0, 0, 64};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(q[i], want[i]) << i;
  for (size_t i = want.size(); i < 128; ++i) EXPECT_EQ(q[i], 0) << i;
  EXPECT_EQ(s, 1.0f);
  EXPECT_EQ(sum, 127 - 127 + 1 - 1 + 2 + 3 - 3 + 64);
  // gamma = 1: 127 * 0.25 = 31.75 -> 32; 127 * 0.5 = 63.5 -> 64 (a tie).
  const std::vector<float> y = {1.0f, 0.25f, -0.5f};
  scalar_kernels()->quantize_act(y.data(), 3, 128, q.data(), &s);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 32);
  EXPECT_EQ(q[2], -64);
  EXPECT_EQ(s, 1.0f / 127.0f);
}

class ActQuantPerIsa : public PerIsa {};

TEST_P(ActQuantPerIsa, ZeroVectorGivesZeros) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  std::vector<float> x(300, 0.0f);
  x[7] = -0.0f;
  {
    std::vector<int8_t> q(384, 5);
    float s = 1;
    EXPECT_EQ(k->quantize_act(x.data(), 300, 384, q.data(), &s), 0);
    EXPECT_EQ(s, 0.0f);
    for (int8_t v : q) ASSERT_EQ(v, 0);
  }
}

TEST_P(ActQuantPerIsa, EverySimdPathMatchesScalar) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  Rng rng(11);
  std::vector<std::vector<float>> cases;
  for (int64_t n : {1, 7, 15, 16, 17, 31, 100, 2563}) cases.push_back(random_acts(rng, n));
  cases.push_back(random_acts(rng, 1000, 1e30f));
  cases.push_back(random_acts(rng, 1000, 1e-30f));
  cases.push_back(random_acts(rng, 1000, 1e-42f));  // subnormal
  {
    auto x = random_acts(rng, 515, 1e-3f);
    x[200] = 3e38f;  // one huge outlier
    x[201] = -3e38f;
    cases.push_back(x);
  }
  {
    std::vector<float> x(640);  // exact ties: gamma = 254, x = k / 2
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 509) - 254) * 0.5f;
    x[0] = 254.0f;
    cases.push_back(x);
  }
  {
    // Near-ties: one float step either side of (k + 0.5) * gamma / 127, where
    // a fast inexact quotient would round the wrong way.
    std::vector<float> x(1024);
    const float gamma = 3.7f;
    for (size_t i = 0; i < x.size(); ++i) {
      const float tie = (float(int(i % 254) - 127) + 0.5f) * gamma / 127.0f;
      x[i] = std::nextafter(tie, i % 3 == 0 ? 1e9f : (i % 3 == 1 ? -1e9f : tie));
    }
    x[1] = gamma;
    cases.push_back(x);
  }
  {
    for (const auto& x : cases) {
      const int64_t n = int64_t(x.size()), pad = (n + 127) / 128 * 128;
      std::vector<int8_t> q0(size_t(pad), 9), q1(size_t(pad), 9);
      float s0 = 0, s1 = 0;
      const int32_t sum0 = scalar_kernels()->quantize_act(x.data(), n, pad, q0.data(), &s0);
      const int32_t sum1 = k->quantize_act(x.data(), n, pad, q1.data(), &s1);
      EXPECT_EQ(sum0, sum1) << isa_name(isa) << " n=" << n;
      EXPECT_EQ(s0, s1) << isa_name(isa);
      EXPECT_EQ(q0, q1) << isa_name(isa) << " n=" << n;
    }
  }
}

TEST(TernaryMatmul, ScalarMatchesTripleLoopAndDequantizedFloats) {
  Rng rng(3);
  for (const auto& s : kShapes) {
    const auto w = random_ternary(rng, s.out * s.in);
    const auto x = random_acts(rng, s.tokens * s.in);
    const float scale = 0.0375f;
    const PackedTernary p = pack_ternary(w.data(), s.out, s.in, scale);
    for (int64_t o = 0; o < s.out; ++o)
      for (int64_t k = 0; k < s.in; ++k) ASSERT_EQ(p.weight(o, k), w[size_t(o * s.in + k)]);
    QuantizedActivations xq;
    quantize_activations(x.data(), s.tokens, s.in, xq, *scalar_kernels());
    std::vector<int32_t> acc(size_t(s.tokens * s.out));
    ternary_matmul_i32(p, xq, acc.data(), *scalar_kernels());
    EXPECT_EQ(acc, triple_loop(w, xq, s.out)) << s.out << "x" << s.in;
    // Floats: against sum over dequantized weights (w * s) and activations
    // (xq * gamma / 127), in double.
    std::vector<float> y(size_t(s.tokens * s.out));
    ternary_matmul(p, x.data(), s.tokens, y.data(), *scalar_kernels());
    for (int64_t t = 0; t < s.tokens; ++t)
      for (int64_t o = 0; o < s.out; ++o) {
        double ref = 0;
        for (int64_t k = 0; k < s.in; ++k)
          ref += double(w[size_t(o * s.in + k)]) * scale * double(xq.row(t)[k]) * double(xq.scale[size_t(t)]);
        ASSERT_NEAR(y[size_t(t * s.out + o)], ref, 1e-5 * (1 + std::fabs(ref))) << t << "," << o;
      }
  }
}

class TernaryMatmulPerIsa : public PerIsa {};

TEST_P(TernaryMatmulPerIsa, EverySimdPathMatchesScalarBitForBit) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  Rng rng(5);
  {
    for (const auto& s : kShapes)
      for (TernaryLayout layout : {TernaryLayout::kTiled4, TernaryLayout::kI2sRows}) {
        if (layout == TernaryLayout::kI2sRows && s.in % 128) continue;
        const auto w = random_ternary(rng, s.out * s.in);
        std::vector<float> rs(static_cast<size_t>(s.out));
        for (auto& v : rs) v = rng.uniform(0.01f, 2.0f);
        const PackedTernary p = pack_ternary_rows(w.data(), s.out, s.in, rs.data(), layout);
        const auto x = random_acts(rng, s.tokens * s.in, 3.0f);
        QuantizedActivations xq;
        quantize_activations(x.data(), s.tokens, s.in, xq, *scalar_kernels());
        std::vector<int32_t> a0(size_t(s.tokens * s.out)), a1(a0.size());
        ternary_matmul_i32(p, xq, a0.data(), *scalar_kernels());
        ternary_matmul_i32(p, xq, a1.data(), *k);
        EXPECT_EQ(a0, a1) << isa_name(isa) << " " << s.out << "x" << s.in << "x" << s.tokens;
        std::vector<float> y0(a0.size()), y1(a0.size());
        ternary_matmul(p, x.data(), s.tokens, y0.data(), *scalar_kernels());
        ternary_matmul(p, x.data(), s.tokens, y1.data(), *k);
        EXPECT_EQ(std::memcmp(y0.data(), y1.data(), y0.size() * 4), 0) << isa_name(isa);
      }
  }
}

// One token over a range of 9 tiles starting at tile 2 (the AVX2 decode
// reads it as two streams: tiles 2-6 and 7-10 alternate), into a buffer
// filled with a sentinel: each row of the range must be written once, with
// its own sum (the matmul entry points reuse one scratch buffer across
// calls, so they would not see a row that is skipped).
TEST_P(TernaryMatmulPerIsa, OneTokenRowRangeWritesEveryRow) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  Rng rng(6);
  const int64_t out = 44, in = 384, b = 8, e = 44;
  const auto w = random_ternary(rng, out * in);
  const PackedTernary p = pack_ternary(w.data(), out, in, 1.0f);
  const auto x = random_acts(rng, in);
  QuantizedActivations xq;
  quantize_activations(x.data(), 1, in, xq, *scalar_kernels());
  const std::vector<int32_t> want = triple_loop(w, xq, out);
  std::vector<int32_t> raw(size_t(e - b), std::numeric_limits<int32_t>::min());
  k->dot_codes(p.view(), b, e, xq.row(0), xq.in_pad, 1, raw.data(), e - b);
  for (int64_t o = b; o < e; ++o)
    EXPECT_EQ(raw[size_t(o - b)] - xq.sum[0], want[size_t(o)]) << isa_name(isa) << " row " << o;
}

TEST_P(TernaryMatmulPerIsa, ExtremeInt8ActivationsDoNotSaturate) {
  const Isa isa = GetParam();
  LOWBIT_SKIP_UNSUPPORTED_ISA(isa);
  const TernaryKernels* k = pick_for_isa(isa, kernels_for);
  // All weights +1 or all -1 against xq = -128 / 127 everywhere: the largest
  // partial sums the int16 stage of the AVX2 kernel can see.
  const int64_t out = 8, in = 4096, T = 2;
  std::vector<int8_t> w(size_t(out * in));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k) w[size_t(o * in + k)] = int8_t(o % 2 ? -1 : 1);
  std::vector<int8_t> xq(size_t(T * in));
  for (int64_t k = 0; k < in; ++k) xq[size_t(k)] = -128, xq[size_t(in + k)] = 127;
  const std::vector<float> as = {1.0f, 1.0f};
  const PackedTernary p = pack_ternary(w.data(), out, in, 1.0f);
  {
    std::vector<float> y(size_t(T * out));
    ternary_matmul_q8(p, xq.data(), as.data(), T, y.data(), *k);
    for (int64_t o = 0; o < out; ++o) {
      EXPECT_EQ(y[size_t(o)], float((o % 2 ? 128 : -128) * in)) << isa_name(isa);
      EXPECT_EQ(y[size_t(out + o)], float((o % 2 ? -127 : 127) * in)) << isa_name(isa);
    }
  }
}

TEST(TernaryMatmul, ZeroWeightsOrZeroActivationsGiveZero) {
  Rng rng(8);
  const int64_t out = 9, in = 200;
  std::vector<int8_t> zeros(size_t(out * in), 0);
  const auto w = random_ternary(rng, out * in);
  const auto x = random_acts(rng, 3 * in);
  std::vector<float> xz(size_t(3 * in), 0.0f), y(size_t(3 * out), 1.0f);
  ternary_matmul(pack_ternary(zeros.data(), out, in, 0.5f), x.data(), 3, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
  ternary_matmul(pack_ternary(w.data(), out, in, 0.5f), xz.data(), 3, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(TernaryMatmul, ThreadCountDoesNotChangeResults) {
  Rng rng(9);
  const int64_t out = 300, in = 640, T = 21;
  const auto w = random_ternary(rng, out * in);
  const auto x = random_acts(rng, T * in);
  const PackedTernary p = pack_ternary(w.data(), out, in, 0.1f);
  std::vector<float> y1(size_t(T * out)), y3(y1.size());
  ThreadPool::set_global_threads(1);
  ternary_matmul(p, x.data(), T, y1.data());
  ThreadPool::set_global_threads(3);
  ternary_matmul(p, x.data(), T, y3.data());
  ThreadPool::set_global_threads(1);
  EXPECT_EQ(y1, y3);
}

// Decode (T <= 16) on more than one thread splits rows into ~8 KiB pieces
// that idle threads steal: 2052 rows of 1280 columns are 86 pieces of 24
// rows (the last 12), shares of unequal length under 3 and 5 threads. Each
// accumulator must still be the plain sum over the quantized activations.
TEST(TernaryMatmul, DecodePiecesGiveTheTripleLoopUnderAnyThreadCount) {
  Rng rng(10);
  const int64_t out = 2052, in = 1280;
  const auto w = random_ternary(rng, out * in);
  const PackedTernary p = pack_ternary(w.data(), out, in, 0.1f);
  for (int64_t T : {1, 3, 16}) {
    const auto x = random_acts(rng, T * in);
    QuantizedActivations xq;
    quantize_activations(x.data(), T, in, xq);
    std::vector<int32_t> want(size_t(T * out));
    for (int64_t t = 0; t < T; ++t)
      for (int64_t o = 0; o < out; ++o) {
        int32_t s = 0;
        for (int64_t k = 0; k < in; ++k) s += int32_t(w[size_t(o * in + k)]) * xq.row(t)[k];
        want[size_t(t * out + o)] = s;
      }
    for (int threads : {1, 2, 3, 5}) {
      ThreadPool::set_global_threads(threads);
      std::vector<int32_t> got(want.size(), -1);
      ternary_matmul_i32(p, xq, got.data());
      EXPECT_EQ(got, want) << "T " << T << ", threads " << threads;
    }
  }
  ThreadPool::set_global_threads(1);
}

TEST(TernaryPack, FromEveryFormatEqualsTheTernaryValues) {
  Rng rng(12);
  const int64_t out = 6, in = 512;
  const float s = 0.0421f, s16 = fp16_to_f32(f32_to_fp16(s));
  auto w = random_ternary(rng, out * in);
  for (int64_t k = 0; k < in; ++k) w[size_t(5 * in + k)] = 0;  // an all-zero row
  std::vector<float> wf(w.size());
  for (size_t i = 0; i < w.size(); ++i) wf[i] = float(w[i]) * s;
  struct Case {
    Format f;
    PackedTernary (*pack)(const void*, int64_t, int64_t, TernaryLayout);
    float scale;
  };
  for (const Case& c : {Case{Format::TQ2_0, pack_tq2_0, s16}, Case{Format::TQ1_0, pack_tq1_0, s16},
                        Case{Format::I2_S, pack_i2_s, s}}) {
    const auto& t = format_traits(c.f);
    std::vector<uint8_t> bytes(size_t(format_bytes(t, out * in)));
    t.from_float(wf.data(), bytes.data(), out * in);
    for (TernaryLayout layout : {TernaryLayout::kTiled4, TernaryLayout::kI2sRows}) {
      const PackedTernary p = c.pack(bytes.data(), out, in, layout);
      for (int64_t o = 0; o < out; ++o) {
        EXPECT_EQ(p.row_scale[size_t(o)], o == 5 && c.f != Format::I2_S ? 0.0f : c.scale) << t.name << " row " << o;
        for (int64_t k = 0; k < in; ++k) ASSERT_EQ(p.weight(o, k), w[size_t(o * in + k)]) << t.name;
      }
    }
  }
}

TEST(TernaryPack, RejectsBadInput) {
  std::vector<float> wf(512, 0.0f);
  wf[0] = 1.0f, wf[300] = 2.0f;  // one row, two blocks with different scales
  std::vector<uint8_t> tq2(2 * 66);
  format_traits(Format::TQ2_0).from_float(wf.data(), tq2.data(), 512);
  EXPECT_THROW(pack_tq2_0(tq2.data(), 1, 512), Error);
  EXPECT_NO_THROW(pack_tq2_0(tq2.data(), 2, 256));  // as two rows it is fine
  tq2[3] = 0xFF;                                     // code 3
  EXPECT_THROW(pack_tq2_0(tq2.data(), 2, 256), Error);
  std::vector<uint8_t> i2(128 / 4 + 32, 0x55);
  i2[7] = 0x57;  // code 3 in bits 1:0
  EXPECT_THROW(pack_i2_s(i2.data(), 1, 128), Error);
  EXPECT_THROW(pack_i2_s(i2.data(), 1, 128, TernaryLayout::kI2sRows), Error);
  std::vector<int8_t> bad = {0, 2, 1};
  EXPECT_THROW(pack_ternary(bad.data(), 1, 3, 1.0f), Error);
  const std::vector<int8_t> ok = {0, 1, -1};
  const PackedTernary p = pack_ternary(ok.data(), 1, 3, 1.0f);
  std::vector<float> x(4), y(1);
  QuantizedActivations xq;
  quantize_activations(x.data(), 1, 4, xq);
  EXPECT_THROW(ternary_matmul_q8(p, xq, y.data()), Error);  // 4 features, weights expect 3
  EXPECT_THROW(pack_ternary(ok.data(), 1, 3, 1.0f, TernaryLayout::kI2sRows), Error);
}

TEST(Dispatch, EnvOverrideChoosesTheTable) {
  // The choice is made once per process: ask a child process (this test
  // binary, running only the test below) which table LOWBIT_ISA gave it.
  char self[4096] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  const std::string cmd = std::string("LOWBIT_ISA=scalar '") + self + "' --gtest_filter='Dispatch.ScalarAlways*' 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  EXPECT_NE(out.find("kernels: scalar"), std::string::npos) << out;
}

TEST(Dispatch, ScalarAlwaysAvailableAndChoiceIsRunnable) {
  ASSERT_NE(kernels_for(Isa::kScalar), nullptr);
  EXPECT_NE(kernels_for(kernels().isa), nullptr);
  std::printf("kernels: %s (avx2 %s, avx512 %s)\n", isa_name(kernels().isa), kernels_for(Isa::kAvx2) ? "yes" : "no",
              kernels_for(Isa::kAvx512) ? "yes" : "no");
}

TEST(TernaryPack, RandomBytesEitherPackOrThrowError) {
  // Bad input must never crash: whatever the bytes, packing either succeeds
  // (and then every weight is ternary) or throws lowbit::Error.
  Rng rng(21);
  int packed = 0, rejected = 0;
  for (int it = 0; it < 60; ++it) {
    const int64_t out = 1 + int64_t(rng.next_u64() % 5), in = 256 * (1 + int64_t(rng.next_u64() % 2));
    std::vector<uint8_t> bytes(size_t(out * in / 4 * 2 + 64));
    for (auto& b : bytes) b = uint8_t(rng.next_u64());
    if (it % 2) {  // mostly valid codes (0x55 = zeros) with random scales
      for (auto& b : bytes) b = (b & 7) ? 0x55 : b;
    }
    for (auto pack : {pack_tq2_0, pack_tq1_0, pack_i2_s}) {
      try {
        const PackedTernary p = pack(bytes.data(), out, in, TernaryLayout::kTiled4);
        for (int64_t o = 0; o < out; ++o)
          for (int64_t k = 0; k < in; ++k) ASSERT_LE(std::abs(p.weight(o, k)), 1);
        ++packed;
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(packed, 0);
  EXPECT_GT(rejected, 0);
}

// Fused rows: every weight of the parts sits where concatenation puts it,
// and one call's outputs are the parts' outputs side by side, bit for bit
// (each output row is computed the same way, whatever surrounds it).
TEST(TernaryPack, ConcatRowsEqualsThePartsSideBySide) {
  Rng rng(21);
  const int64_t in = 300, T = 3;
  const int64_t outs[3] = {8, 4, 3};
  std::vector<PackedTernary> parts;
  std::vector<std::vector<int8_t>> ws;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(random_ternary(rng, outs[i] * in));
    parts.push_back(pack_ternary(ws.back().data(), outs[i], in, 0.5f + 0.25f * float(i)));
  }
  const PackedTernary f = concat_rows({parts.data(), &parts[1], &parts[2]});
  ASSERT_EQ(f.out, 15);
  int64_t row = 0;
  for (int i = 0; i < 3; ++i)
    for (int64_t o = 0; o < outs[i]; ++o, ++row) {
      EXPECT_EQ(f.row_scale[size_t(row)], 0.5f + 0.25f * float(i));
      for (int64_t k = 0; k < in; ++k) ASSERT_EQ(f.weight(row, k), ws[size_t(i)][size_t(o * in + k)]) << row;
    }
  const auto x = random_acts(rng, T * in);
  std::vector<float> y(size_t(T * f.out));
  ternary_matmul(f, x.data(), T, y.data());
  int64_t col = 0;
  for (int i = 0; i < 3; ++i) {
    std::vector<float> yi(size_t(T * outs[i]));
    ternary_matmul(parts[size_t(i)], x.data(), T, yi.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t o = 0; o < outs[i]; ++o) ASSERT_EQ(y[size_t(t * f.out + col + o)], yi[size_t(t * outs[i] + o)]);
    col += outs[i];
  }
  // A part with padding rows can only come last; columns must agree.
  EXPECT_THROW(concat_rows({&parts[2], parts.data()}), Error);
  const auto w2 = random_ternary(rng, 4 * 200);
  const PackedTernary other = pack_ternary(w2.data(), 4, 200, 1.0f);
  EXPECT_THROW(concat_rows({parts.data(), &other}), Error);
}

LOWBIT_INSTANTIATE_PER_ISA(ActQuantPerIsa);

LOWBIT_INSTANTIATE_PER_ISA(TernaryMatmulPerIsa);

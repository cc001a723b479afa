// The packed formats against bytes written by an independent NumPy encoder
// (tests/reference/formats_ref.py), hand-worked examples from
// docs/FORMATS.md, and round trips through every registry row.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "core/rng.hpp"
#include "formats/format.hpp"
#include "formats/ternary_formats.hpp"
#include "io/file_util.hpp"

using namespace lowbit;

namespace {

std::string golden(const std::string& name) {
  return read_file(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/" + name);
}
std::vector<float> golden_f32(const std::string& name) {
  const std::string b = golden(name);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}
std::vector<uint8_t> encode(Format f, const std::vector<float>& x) {
  const auto& t = format_traits(f);
  std::vector<uint8_t> out(size_t(format_bytes(t, int64_t(x.size()))), 0xAB);
  t.from_float(x.data(), out.data(), int64_t(x.size()));
  return out;
}
std::vector<float> decode(Format f, const std::vector<uint8_t>& b, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  format_traits(f).to_float(b.data(), y.data(), n);
  return y;
}

}  // namespace

class GoldenEncoding : public ::testing::TestWithParam<std::pair<Format, const char*>> {};

std::string golden_input_of(Format f) {
  switch (f) {
    case Format::Q8_0: return "formats_q8_0_input.f32";
    case Format::Q4_0: return "formats_q4_0_input.f32";
    case Format::Q6_K: return "formats_q6_k_input.f32";
    default: return "formats_ternary_input.f32";
  }
}

TEST_P(GoldenEncoding, MatchesNumPyBytes) {
  const auto [f, file] = GetParam();
  const auto x = golden_f32(golden_input_of(f));
  const std::string want = golden(file);
  const auto got = encode(f, x);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], uint8_t(want[i])) << "byte " << i;
  // And back: the ternary inputs are exactly representable in every format.
  const auto y = decode(f, got, int64_t(x.size()));
  // (per-block scales are fp16, I2_S keeps an f32 scale)
  for (size_t i = 0; format_traits(f).ternary && i < x.size(); ++i) {
    const float want_y = f == Format::I2_S ? x[i] : fp16_to_f32(f32_to_fp16(x[i]));
    ASSERT_EQ(y[i], want_y) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Formats, GoldenEncoding,
    ::testing::Values(std::pair{Format::TQ2_0, "formats_tq2_0.bin"}, std::pair{Format::TQ1_0, "formats_tq1_0.bin"},
                      std::pair{Format::I2_S, "formats_i2_s.bin"}, std::pair{Format::Q8_0, "formats_q8_0.bin"},
                      std::pair{Format::Q4_0, "formats_q4_0.bin"}, std::pair{Format::Q6_K, "formats_q6_k_enc.bin"}));

// Worked Q4_0 block (docs/FORMATS.md): the value of largest magnitude sets
// d = value / -8 and takes code 0; 0 takes code 8; codes cap at 15.
TEST(Q4_0, WorkedExampleBlock) {
  std::vector<float> x(32, 0.0f);
  x[0] = 4.0f;    // d = -0.5: code trunc(4 / -0.5 + 8.5) = 0
  x[16] = -3.5f;  // code trunc(7 + 8.5) = 15
  x[1] = 1.0f;    // code trunc(-2 + 8.5) = 6
  const auto b = encode(Format::Q4_0, x);
  ASSERT_EQ(b.size(), 18u);
  EXPECT_EQ(fp16_to_f32(uint16_t(b[0] | b[1] << 8)), -0.5f);
  EXPECT_EQ(b[2], 0x00 | 15 << 4);
  EXPECT_EQ(b[3], 6 | 8 << 4);
  const auto y = decode(Format::Q4_0, b, 32);
  EXPECT_EQ(y[0], 4.0f);
  EXPECT_EQ(y[16], -3.5f);
  EXPECT_EQ(y[1], 1.0f);
  EXPECT_EQ(y[2], 0.0f);
}

// The head formats' dequantized values stay near their input (a decoder
// that reads the wrong nibble or scale is far off).
TEST(RoundTrip, HeadFormatsCloseToInput) {
  Rng rng(11);
  std::vector<float> x(256 * 4);
  for (auto& v : x) v = float(rng.normal()) * 0.03f;
  for (Format f : {Format::Q4_0, Format::Q6_K, Format::Q8_0}) {
    const auto y = decode(f, encode(f, x), int64_t(x.size()));
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) err += (y[i] - x[i]) * (y[i] - x[i]), ref += x[i] * x[i];
    // relative RMS error: Q8_0 ~0.5%, Q6_K ~2%, Q4_0 ~10% on normal data
    const double bound = f == Format::Q4_0 ? 0.15 : f == Format::Q6_K ? 0.04 : 0.01;
    EXPECT_LT(std::sqrt(err / ref), bound) << format_traits(f).name;
  }
}

TEST(Q6K, DecodesLikeNumPy) {
  const std::string b = golden("formats_q6_k.bin");
  const auto want = golden_f32("formats_q6_k_output.f32");
  std::vector<float> y(256);
  format_traits(Format::Q6_K).to_float(b.data(), y.data(), 256);
  for (int i = 0; i < 256; ++i) ASSERT_EQ(y[size_t(i)], want[size_t(i)]) << i;
}

// Worked examples of docs/FORMATS.md, checked by hand.
TEST(Tq2_0, WorkedExampleByte) {
  std::vector<uint8_t> blk(66, 0x55);  // 0x55 = code 1 everywhere: all zero
  blk[5] = 0x92;                        // 10 01 00 10
  const uint16_t h = f32_to_fp16(0.5f);
  std::memcpy(blk.data() + 64, &h, 2);
  const auto y = decode(Format::TQ2_0, blk, 256);
  EXPECT_EQ(y[5], 0.5f);    // bits 1:0 = 2
  EXPECT_EQ(y[37], -0.5f);  // bits 3:2 = 0
  EXPECT_EQ(y[69], 0.0f);   // bits 5:4 = 1
  EXPECT_EQ(y[101], 0.5f);  // bits 7:6 = 2
  EXPECT_EQ(y[6], 0.0f);
}

TEST(Tq1_0, WorkedExampleByte) {
  // trits (2,1,0,1,2) of byte 0 are elements 0, 32, 64, 96, 128; q = 194 -> 205
  std::vector<float> x(256, 0.0f);
  x[0] = 1.0f, x[32] = 0.0f, x[64] = -1.0f, x[96] = 0.0f, x[128] = 1.0f;
  const auto b = encode(Format::TQ1_0, x);
  EXPECT_EQ(b[0], 205);
  EXPECT_EQ(b[1], (121 * 256 + 242) / 243);  // all-zero trits: q = 11111 (base 3) = 121
  EXPECT_EQ(b[48], (40 * 3 * 256 + 242) / 243);  // qh: q = 1111 (base 3) = 40, shifted one trit
}

TEST(I2S, WorkedExampleAndTrailer) {
  std::vector<float> x(128, 0.0f);
  x[3] = 2.0f, x[35] = 0.0f, x[67] = -2.0f, x[99] = 2.0f;
  const auto b = encode(Format::I2_S, x);
  ASSERT_EQ(b.size(), 32u + 32u);
  EXPECT_EQ(b[3], 0x92);  // codes 2,1,0,2 for elements 3, 35, 67, 99 from the high bits down
  EXPECT_EQ(b[0], 0x55);
  float s;
  std::memcpy(&s, b.data() + 32, 4);
  EXPECT_EQ(s, 2.0f);
  for (int i = 36; i < 64; ++i) EXPECT_EQ(b[size_t(i)], 0) << i;
}

// quantize(dequantize(block)) == block for blocks as each format's writer
// produces them: random codes, a positive fp16 scale, and for per-block
// formats at least one nonzero code per block (an all-zero block has d = 0).
TEST(RoundTrip, TernaryBlocksAreBitExact) {
  Rng rng(7);
  for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::I2_S}) {
    const int64_t n = 1024;
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t b = 0; b < n / 256; ++b) {
      const float d = fp16_to_f32(f32_to_fp16(f == Format::I2_S ? 0.0421f : 0.01f * float(b + 1)));
      for (int64_t e = 0; e < 256; ++e) x[size_t(b * 256 + e)] = float(int(rng.next_u64() % 3) - 1) * d;
      x[size_t(b * 256)] = d;
    }
    const auto bytes = encode(f, x);
    const auto again = encode(f, decode(f, bytes, n));
    EXPECT_EQ(bytes, again) << format_traits(f).name;
  }
}

TEST(RoundTrip, Q8_0IsBitExactAfterOneQuantization) {
  Rng rng(9);
  std::vector<float> x(32 * 16);
  for (auto& v : x) v = float(rng.normal()) * 3.0f;
  const auto bytes = encode(Format::Q8_0, x);
  EXPECT_EQ(encode(Format::Q8_0, decode(Format::Q8_0, bytes, int64_t(x.size()))), bytes);
}

TEST(Registry, EveryReadableFormatDecodesItsOwnEncodingOfZero) {
  for (const auto& t : all_formats()) {
    if (!t.from_float) continue;
    const int64_t n = 256;
    std::vector<float> zeros(size_t(n), 0.0f), y(size_t(n), 1.0f);
    std::vector<uint8_t> b(size_t(format_bytes(t, n)));
    t.from_float(zeros.data(), b.data(), n);
    t.to_float(b.data(), y.data(), n);
    for (float v : y) ASSERT_EQ(v, 0.0f) << t.name;
  }
}

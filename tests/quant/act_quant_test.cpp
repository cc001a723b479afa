// Activation quantizers on vectors small enough to check by hand; the
// expected values are worked out in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "quant/act_quant.hpp"

using namespace lowbit;

TEST(ActQuant, Int8AbsmaxHand) {
  // gamma = 4, 127 x / 4 = {127, -31.75, 9.525, 79.375} -> {127, -32, 10, 79}
  const float x[4] = {4.0f, -1.0f, 0.3f, 2.5f};
  int8_t q[4];
  uint8_t pass[4];
  const ActQuantResult r = quant_int8_absmax(x, 4, q, pass);
  EXPECT_EQ(r.stat, 4.0f);
  EXPECT_DOUBLE_EQ(r.step, 4.0 / 127.0);
  const int8_t want[4] = {127, -32, 10, 79};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(q[i], want[i]) << i;
    EXPECT_EQ(pass[i], 1) << i;  // |127 x / gamma| <= 127: the clip never bites
  }
}

TEST(ActQuant, Int8AbsmaxRoundsHalfAwayFromZero) {
  // gamma = 2: 127 * 1 / 2 = 63.5 -> 64, and -63.5 -> -64 (not to even).
  const float x[3] = {2.0f, 1.0f, -1.0f};
  int8_t q[3];
  quant_int8_absmax(x, 3, q);
  EXPECT_EQ(q[1], 64);
  EXPECT_EQ(q[2], -64);
}

TEST(ActQuant, ZeroVectorGivesZerosAndZeroStep) {
  const float x[4] = {0, 0, 0, 0};
  int8_t q8[4];
  float qf[4];
  EXPECT_EQ(quant_int8_absmax(x, 4, q8).step, 0.0);
  for (int8_t v : q8) EXPECT_EQ(v, 0);
  EXPECT_EQ(quant_int4_absmean(x, 4, q8).step, 0.0);
  for (int8_t v : q8) EXPECT_EQ(v, 0);
  EXPECT_EQ(quant_absmax_signed(x, 4, 8, qf).step, 0.0);
  for (float v : qf) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(quant_absmax_shifted(x, 4, 8, qf).step, 0.0);
  for (float v : qf) EXPECT_TRUE(std::isfinite(v));
}

TEST(ActQuant, Int4AbsmeanHand) {
  // beta = (1 + 2 + 0.5 + 12.5) / 4 = 4; sqrt(7) / 4 = 0.661438
  // v = {0.661, -1.323, 0.331, 8.268} -> round {1, -1, 0, 8} -> clip 7 (clip active)
  const float x[4] = {1.0f, -2.0f, 0.5f, 12.5f};
  int8_t q[4];
  uint8_t pass[4];
  const ActQuantResult r = quant_int4_absmean(x, 4, q, pass);
  EXPECT_EQ(r.stat, 4.0f);
  EXPECT_NEAR(r.step, 4.0 / 2.6457513110645907, 1e-12);
  const int8_t want[4] = {1, -1, 0, 7};
  const uint8_t want_pass[4] = {1, 1, 1, 0};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(q[i], want[i]) << i;
    EXPECT_EQ(pass[i], want_pass[i]) << i;
  }
  // The range is asymmetric: -8.268 rounds to -8, which is representable.
  const float xn[4] = {1.0f, -2.0f, 0.5f, -12.5f};
  quant_int4_absmean(xn, 4, q, pass);
  EXPECT_EQ(q[3], -8);
  EXPECT_EQ(pass[3], 1);
}

TEST(ActQuant, S1SignedHand) {
  // b = 8, Qb = 128, gamma = 1: v = {64, -128, 38.4, 1.28} -> {64, -128, 38, 1};
  // -128 is clipped to -(128 - eps) (the paper's margin, not a clip for the STE).
  const float x[4] = {0.5f, -1.0f, 0.3f, 0.01f};
  float q[4];
  uint8_t pass[4];
  const ActQuantResult r = quant_absmax_signed(x, 4, 8, q, pass);
  EXPECT_EQ(r.stat, 1.0f);
  EXPECT_DOUBLE_EQ(r.step, 1.0 / 128.0);
  EXPECT_EQ(q[0], 64.0f);
  EXPECT_EQ(q[1], float(-128.0 + 1e-5));
  EXPECT_EQ(q[2], 38.0f);
  EXPECT_EQ(q[3], 1.0f);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pass[i], 1) << i;
  // b = 4, Qb = 8: v = {4, -8, 2.4, 0.08} -> {4, -(8 - eps), 2, 0}
  const ActQuantResult r4 = quant_absmax_signed(x, 4, 4, q);
  EXPECT_DOUBLE_EQ(r4.step, 1.0 / 8.0);
  EXPECT_EQ(q[0], 4.0f);
  EXPECT_EQ(q[1], float(-8.0 + 1e-5));
  EXPECT_EQ(q[2], 2.0f);
  EXPECT_EQ(q[3], 0.0f);
}

TEST(ActQuant, S1ShiftedHand) {
  // gamma = 0.25, eta = 0.05: (x - eta) * 128 / 0.25 = {76.8, 25.6, 0, 102.4}
  // -> {77, 26, 0 -> eps, 102}
  const float x[4] = {0.2f, 0.1f, 0.05f, 0.25f};
  float q[4];
  uint8_t pass[4];
  const ActQuantResult r = quant_absmax_shifted(x, 4, 8, q, pass);
  EXPECT_EQ(r.stat, 0.25f);
  EXPECT_EQ(q[0], 77.0f);
  EXPECT_EQ(q[1], 26.0f);
  EXPECT_EQ(q[2], 1e-5f);
  EXPECT_EQ(q[3], 102.0f);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pass[i], 1) << i;
  // With negative inputs the shifted range exceeds gamma: gamma = 1, eta = -1,
  // (x + 1) * 128 = {192, 0, 166.4, 129.28} -> clip at 128 - eps for three of them.
  const float y[4] = {0.5f, -1.0f, 0.3f, 0.01f};
  quant_absmax_shifted(y, 4, 8, q, pass);
  const float top = float(128.0 - 1e-5);
  EXPECT_EQ(q[0], top);
  EXPECT_EQ(q[1], 1e-5f);
  EXPECT_EQ(q[2], top);
  EXPECT_EQ(q[3], top);
  const uint8_t want_pass[4] = {0, 1, 0, 0};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pass[i], want_pass[i]) << i;
}

TEST(ActQuant, AbsmaxIsScaleInvariant) {
  std::vector<float> x = {0.7f, -1.3f, 2.9f, 0.05f, -0.6f};
  std::vector<int8_t> q1(5), q2(5);
  std::vector<float> s1(5), s2(5);
  const double st1 = quant_int8_absmax(x.data(), 5, q1.data()).step;
  const double st4 = quant_int4_absmean(x.data(), 5, q1.data()).step;
  quant_absmax_signed(x.data(), 5, 8, s1.data());
  for (float& v : x) v *= 4.0f;  // a power of two: exact in f32
  EXPECT_DOUBLE_EQ(quant_int8_absmax(x.data(), 5, q2.data()).step, 4 * st1);
  EXPECT_DOUBLE_EQ(quant_int4_absmean(x.data(), 5, q2.data()).step, 4 * st4);
  EXPECT_EQ(q1, q2);
  quant_absmax_signed(x.data(), 5, 8, s2.data());
  EXPECT_EQ(s1, s2);
}

TEST(ActQuant, NanQuantizesToZeroWithoutUndefinedCasts) {
  // NaN is skipped by max|x| and quantized to 0 (UBSan would flag a NaN cast).
  const float x[3] = {2.0f, std::nanf(""), -1.0f};
  int8_t q[3];
  EXPECT_EQ(quant_int8_absmax(x, 3, q).stat, 2.0f);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2], -64);  // -63.5 -> -64
  EXPECT_EQ(round_to_int8(1e9), 127);
  EXPECT_EQ(round_to_int8(-1e9), -128);
  EXPECT_EQ(round_to_int8(-2.5), -3);
}

// Weight quantizers on hand-sized matrices (expected values in comments).
#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "quant/weight_quant.hpp"

using namespace lowbit;

TEST(WeightQuant, BinarizeHand) {
  // alpha = 0.6 / 6 = 0.1, beta = 1.6 / 6; W - alpha = {.2, -.2, .1, -.5, -.1, .5}
  const float w[6] = {0.3f, -0.1f, 0.2f, -0.4f, 0.0f, 0.6f};
  const BinaryWeights b = binarize_weights(w, 2, 3, 1);
  EXPECT_NEAR(b.alpha[0], 0.1f, 1e-7);
  EXPECT_NEAR(b.beta[0], 1.6f / 6, 1e-7);
  const std::vector<int8_t> want = {1, -1, 1, -1, -1, 1};
  EXPECT_EQ(b.sign, want);
}

TEST(WeightQuant, BinarizeSignOfZeroIsMinusOne) {
  // alpha = 0 exactly, so the middle weight sits on W - alpha = 0.
  const float w[3] = {1.0f, 0.0f, -1.0f};
  const BinaryWeights b = binarize_weights(w, 1, 3, 1);
  EXPECT_EQ(b.alpha[0], 0.0f);
  EXPECT_EQ(b.sign, (std::vector<int8_t>{1, -1, -1}));
}

TEST(WeightQuant, BinarizeGroupsHaveOwnStatistics) {
  // rows {0,1} (group 0): mean 0.25, mean|.| 0.25; rows {2,3}: mean -1, mean|.| 2.5
  const float w[8] = {0.5f, 0.0f, 0.25f, 0.25f, -4.0f, 2.0f, 1.0f, -3.0f};
  const BinaryWeights b = binarize_weights(w, 4, 2, 2);
  EXPECT_EQ(b.alpha, (std::vector<float>{0.25f, -1.0f}));
  EXPECT_EQ(b.beta, (std::vector<float>{0.25f, 2.5f}));
  // group 0: W - 0.25 = {.25, -.25, 0, 0} -> {1, -1, -1, -1}; group 1: W + 1 = {-3, 3, 2, -2}
  EXPECT_EQ(b.sign, (std::vector<int8_t>{1, -1, -1, -1, -1, 1, 1, -1}));
  EXPECT_EQ(b.beta_of_row(1), 0.25f);
  EXPECT_EQ(b.beta_of_row(2), 2.5f);
}

TEST(WeightQuant, BinarizeRejectsGroupsThatDoNotDivideRows) {
  const float w[6] = {};
  EXPECT_THROW(binarize_weights(w, 3, 2, 2), Error);
  EXPECT_THROW(binarize_weights(w, 3, 2, 0), Error);
}

TEST(WeightQuant, TernaryHand) {
  // s = 1.95 / 6 = 0.325; W / (s + eps) = {1.385, -0.154, 0.615, -2.769, 0, 1.077}
  const float w[6] = {0.45f, -0.05f, 0.2f, -0.9f, 0.0f, 0.35f};
  const TernaryWeights t = ternarize_absmean(w, 6);
  EXPECT_NEAR(t.scale, 0.325f, 1e-7);
  EXPECT_EQ(t.q, (std::vector<int8_t>{1, 0, 1, -1, 0, 1}));
}

TEST(WeightQuant, TernaryOfZerosIsZero) {
  const float w[4] = {};
  const TernaryWeights t = ternarize_absmean(w, 4);
  EXPECT_EQ(t.scale, 0.0f);
  EXPECT_EQ(t.q, (std::vector<int8_t>(4, 0)));
}

TEST(WeightQuant, Int8RowsHand) {
  // row 0: SCB 1, 127 W = {50.8, -127, 31.75} -> {51, -127, 32}
  // row 1: all zero -> SCB 0, CB 0
  // row 2: SCB 2, 63.5 W = {127, 19.05, -44.45} -> {127, 19, -44}
  const float w[9] = {0.4f, -1.0f, 0.25f, 0, 0, 0, 2.0f, 0.3f, -0.7f};
  const Int8RowWeights r = quantize_int8_rows(w, 3, 3);
  EXPECT_EQ(r.scb, (std::vector<float>{1.0f, 0.0f, 2.0f}));
  EXPECT_EQ(r.cb, (std::vector<int8_t>{51, -127, 32, 0, 0, 0, 127, 19, -44}));
}

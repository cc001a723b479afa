// Sampler: hand-computed truncation sets and penalties, and empirical
// frequencies against the softmax computed here independently.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/sampler.hpp"

using namespace lowbit;

namespace {
SamplerParams plain(float temp) {
  SamplerParams p;
  p.temperature = temp;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  return p;
}
}  // namespace

TEST(Sampler, GreedyIsArgmax) {
  Sampler s(plain(0.0f));
  const std::vector<float> logits{0.1f, 3.0f, -2.0f, 2.9f};
  EXPECT_EQ(s.sample(logits, {}), 1);
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplerParams p = plain(1.5f);
  p.top_k = 1;
  Sampler s(p);
  const std::vector<float> logits{0.1f, 3.0f, -2.0f, 2.9f};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.sample(logits, {}), 1);
}

TEST(Sampler, RepetitionPenaltyHandComputed) {
  // logits 2.0 (token 0, seen) -> 2.0/2 = 1.0 ; -1.0 (token 2, seen) -> -2.0.
  // Token 1 (1.5) now wins greedily.
  SamplerParams p = plain(0.0f);
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  const std::vector<float> logits{2.0f, 1.5f, -1.0f};
  const std::vector<int> recent{0, 2, 0};
  EXPECT_EQ(s.sample(logits, recent), 1);
  // With a window of the last token only (token 2), token 0 keeps its logit.
  p.repeat_last_n = 1;
  Sampler s2(p);
  const std::vector<int> recent2{0, 2};
  EXPECT_EQ(s2.sample(logits, recent2), 0);
}

namespace {
// The probabilities the sampler drew from at T = 1 with no truncation, in
// token order, to compare with a softmax of hand-penalized logits.
std::vector<double> probs_by_token(const Sampler& s, size_t n) {
  std::vector<double> out(n, -1.0);
  for (const auto& c : s.last_candidates()) out[size_t(c.id)] = c.p;
  return out;
}

void expect_softmax_of(const std::vector<double>& got, const std::vector<double>& logits) {
  double z = 0;
  for (double l : logits) z += std::exp(l);
  ASSERT_EQ(got.size(), logits.size());
  for (size_t i = 0; i < logits.size(); ++i) EXPECT_NEAR(got[i], std::exp(logits[i]) / z, 1e-6) << "token " << i;
}
}  // namespace

TEST(Sampler, FrequencyAndPresencePenaltiesHandComputed) {
  // logits 2.0, 1.5, -1.0, 0.5; recent tokens 0 0 2 0 3: counts 3, 0, 1, 1.
  // frequency 0.25, presence 0.5 (logit -= 0.25 * count + 0.5 * (count > 0)):
  //   token 0: 2.0 - 0.75 - 0.5 = 0.75; token 1: 1.5 (unseen);
  //   token 2: -1.0 - 0.25 - 0.5 = -1.75; token 3: 0.5 - 0.25 - 0.5 = -0.25.
  SamplerParams p = plain(1.0f);
  p.frequency_penalty = 0.25f;
  p.presence_penalty = 0.5f;
  Sampler s(p);
  const std::vector<float> logits{2.0f, 1.5f, -1.0f, 0.5f};
  const std::vector<int> recent{0, 0, 2, 0, 3};
  s.sample(logits, recent);
  expect_softmax_of(probs_by_token(s, 4), {0.75, 1.5, -1.75, -0.25});

  // Only the frequency penalty: token 0 loses 3 * 0.25, tokens 2 and 3 0.25.
  p.presence_penalty = 0.0f;
  Sampler f(p);
  f.sample(logits, recent);
  expect_softmax_of(probs_by_token(f, 4), {1.25, 1.5, -1.25, 0.25});

  // Only the presence penalty, negative (OpenAI allows -2..2): every seen
  // token gains 0.5 once, whatever its count.
  p.frequency_penalty = 0.0f;
  p.presence_penalty = -0.5f;
  Sampler pr(p);
  pr.sample(logits, recent);
  expect_softmax_of(probs_by_token(pr, 4), {2.5, 1.5, -0.5, 1.0});
}

TEST(Sampler, PenaltiesStackAfterRepetitionPenaltyInTheWindow) {
  // repeat 2, frequency 0.25, presence 0.5 over the last 3 tokens of
  // 0 0 2 0 3 (the window 2 0 3: counts 1, 0, 1, 1):
  //   token 0: 2.0 / 2 - 0.25 - 0.5 = 0.25; token 1: 1.5;
  //   token 2: -1.0 * 2 - 0.75 = -2.75; token 3: 0.5 / 2 - 0.75 = -0.5.
  SamplerParams p = plain(1.0f);
  p.repeat_penalty = 2.0f;
  p.frequency_penalty = 0.25f;
  p.presence_penalty = 0.5f;
  p.repeat_last_n = 3;
  Sampler s(p);
  const std::vector<float> logits{2.0f, 1.5f, -1.0f, 0.5f};
  const std::vector<int> recent{0, 0, 2, 0, 3};
  s.sample(logits, recent);
  expect_softmax_of(probs_by_token(s, 4), {0.25, 1.5, -2.75, -0.5});

  // A window of 0 turns every penalty off, as in llama.cpp.
  p.repeat_last_n = 0;
  Sampler off(p);
  off.sample(logits, recent);
  expect_softmax_of(probs_by_token(off, 4), {2.0, 1.5, -1.0, 0.5});
}

TEST(Sampler, TopPHandComputed) {
  // probs at T=1 of logits log(0.5), log(0.3), log(0.15), log(0.05):
  // 0.5, 0.3, 0.15, 0.05. top_p 0.8 keeps {0, 1} (0.5 + 0.3 = 0.8).
  SamplerParams p = plain(1.0f);
  p.top_p = 0.8f;
  Sampler s(p);
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  s.sample(logits, {});
  ASSERT_EQ(s.last_candidates().size(), 2u);
  EXPECT_NEAR(s.last_candidates()[0].p, 0.5f / 0.8f, 1e-6);
  EXPECT_NEAR(s.last_candidates()[1].p, 0.3f / 0.8f, 1e-6);
}

TEST(Sampler, MinPHandComputed) {
  // min_p 0.25: cut = 0.125, keeps 0.5, 0.3, 0.15 and drops 0.05.
  SamplerParams p = plain(1.0f);
  p.min_p = 0.25f;
  Sampler s(p);
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  s.sample(logits, {});
  ASSERT_EQ(s.last_candidates().size(), 3u);
  EXPECT_NEAR(s.last_candidates()[2].p, 0.15f / 0.95f, 1e-6);
}

TEST(Sampler, FrequenciesFollowTemperedSoftmax) {
  const std::vector<float> logits{1.0f, 0.0f, -0.5f, 2.0f};
  for (float temp : {0.5f, 1.0f, 2.0f}) {
    SamplerParams p = plain(temp);
    p.seed = 7;
    Sampler s(p);
    std::vector<double> expect(4);
    double z = 0;
    for (int i = 0; i < 4; ++i) z += expect[size_t(i)] = std::exp(logits[size_t(i)] / temp);
    std::vector<int> count(4);
    const int n = 40000;
    for (int i = 0; i < n; ++i) count[size_t(s.sample(logits, {}))]++;
    for (int i = 0; i < 4; ++i) {
      const double pe = expect[size_t(i)] / z;
      const double sigma = std::sqrt(pe * (1 - pe) / n);
      EXPECT_NEAR(double(count[size_t(i)]) / n, pe, 5 * sigma + 1e-4) << "T=" << temp << " token " << i;
    }
  }
}

TEST(Sampler, SameSeedSameSequence) {
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[size_t(i)] = std::sin(float(i));
  SamplerParams p;
  p.seed = 123;
  Sampler a(p), b(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.sample(logits, {}), b.sample(logits, {}));
}

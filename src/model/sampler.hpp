// Token sampling from logits: repetition, frequency and presence penalties,
// then top-k, temperature,
// top-p (nucleus) and min-p truncation, then a draw with a seeded RNG.
// temperature 0 is greedy decoding (argmax after the penalty). The order is
// the usual one of llama.cpp's default chain, so settings carry over.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"

namespace lowbit {

struct SamplerParams {
  float temperature = 0.8f;   // 0 = greedy
  int top_k = 40;             // <= 0: off
  float top_p = 0.95f;        // >= 1: off
  float min_p = 0.05f;        // <= 0: off; keeps tokens with p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1 = off; CTRL-style: positive logits divided, negative multiplied
  int repeat_last_n = 64;       // how many recent tokens the penalties look at (-1: all, 0: penalties off)
  // OpenAI-style additive penalties over the same window, applied as
  // llama.cpp's penalties sampler does, after the repetition penalty:
  // logit -= frequency_penalty * count + presence_penalty * (count > 0).
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& p) : p_(p), rng_(p.seed) {}

  // Picks the next token from logits over the vocabulary; `recent` are the
  // tokens so far (prompt and generated), for the penalties.
  int sample(std::span<const float> logits, std::span<const int> recent);

  // The candidates and probabilities the last call drew from (for tests and
  // diagnostics), sorted by probability, descending.
  struct Candidate {
    int id;
    float p;
  };
  const std::vector<Candidate>& last_candidates() const { return cands_; }

 private:
  SamplerParams p_;
  Rng rng_;
  std::vector<float> work_;
  std::vector<Candidate> cands_;
};

}  // namespace lowbit

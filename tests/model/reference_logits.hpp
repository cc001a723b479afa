// Checking a loaded model against a NumPy reference forward pass
// (tests/reference/family_ref.py, hgrn_ref.py): the logits of every prompt
// token from one prefill, then the greedy continuation decoded one token at
// a time. Shared by the family tests and the hgrn-bit tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "model/model.hpp"

namespace lowbit::test {

// One path of a reference: logits [T x V] of every prompt token, each
// token's distance to an int8 rounding tie, the greedy continuation and how
// many of its tokens are beyond a near-tie.
struct ReferencePath {
  Tensor logits;
  std::vector<double> margin;
  std::vector<int32_t> greedy;
  size_t reliable = 0;
};

// Tokens the reference marks as near an int8 rounding tie (margin < tie)
// may differ by one activation level: 1e-2 relative for them, 1e-4 for all
// others; at least half the tokens must get the strict check. Returns the
// logits of the prompt (for a debug dump).
inline std::vector<float> expect_matches_reference(Model& model, int64_t n_vocab, const std::vector<int32_t>& prompt,
                                                   const ReferencePath& ref, double tie) {
  const Tensor& want = ref.logits;
  const int64_t T = int64_t(prompt.size()), V = n_vocab;
  std::vector<float> logits(size_t(T * V));
  EXPECT_EQ(want.numel(), T * V);
  if (want.numel() != T * V) return logits;
  auto state = model.new_state(64);
  model.forward(prompt.data(), T, 0, *state, logits.data(), /*all_logits=*/true);
  double scale = 0;
  for (int64_t i = 0; i < T * V; ++i) scale = std::max(scale, double(std::fabs(want.data<float>()[i])));
  int strict = 0;
  for (int64_t t = 0; t < T; ++t) {
    double err = 0;
    for (int64_t i = t * V; i < (t + 1) * V; ++i)
      err = std::max(err, double(std::fabs(logits[size_t(i)] - want.data<float>()[i])));
    const bool near_tie = ref.margin[size_t(t)] < tie;
    strict += !near_tie;
    EXPECT_LT(err / scale, near_tie ? 1e-2 : 1e-4) << "token " << t << ": max logit error " << err << " of " << scale;
  }
  EXPECT_GE(strict, T / 2);
  // Up to the first step the reference could not decide beyond doubt.
  EXPECT_GE(ref.reliable, 1u) << "the reference's first greedy step is a near-tie: pick another seed";
  std::vector<int32_t> greedy;
  const float* last = logits.data() + (T - 1) * V;
  std::vector<float> step(static_cast<size_t>(V));
  for (size_t i = 0; i < ref.reliable; ++i) {
    const int32_t id = int32_t(std::max_element(last, last + V) - last);
    greedy.push_back(id);
    model.forward(&id, 1, T + int64_t(i), *state, step.data());
    last = step.data();
  }
  EXPECT_EQ(greedy, std::vector<int32_t>(ref.greedy.begin(), ref.greedy.begin() + int64_t(ref.reliable)));
  return logits;
}

}  // namespace lowbit::test

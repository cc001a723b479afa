// The trainable model: every parameter's gradient against central finite
// differences of the loss (float projections, where the gradient is exact),
// and the loss of an untrained model against ln(vocab).
#include <gtest/gtest.h>

#include <cmath>

#include "train/train_model.hpp"

namespace lowbit {
namespace {

TrainModelSpec tiny_spec(LinearType type) {
  TrainModelSpec s;
  ModelConfig& c = s.arch;
  c.n_vocab = 11, c.n_embd = 8, c.n_layer = 2, c.n_head = 2, c.n_head_kv = 1, c.head_dim = 4, c.n_ff = 12;
  c.rope_theta = 10000.0f;
  std::array<ProjSpec, kProjCount> row;
  for (auto& p : row) p.type = type;
  s.proj.assign(2, row);
  return s;
}

const int32_t kInputs[10] = {1, 4, 2, 9, 10, 0, 3, 3, 7, 5};
const int32_t kTargets[10] = {4, 2, 9, 10, 6, 3, 3, 7, 5, 8};

TEST(TrainModel, UntrainedLossIsLnVocab) {
  Rng rng(1);
  TrainModel m(tiny_spec(LinearType::Float), rng);
  // N(0, 0.02) weights give near-uniform predictions.
  EXPECT_NEAR(m.forward(kInputs, kTargets, 2, 5), std::log(11.0), 0.01);
}

TEST(TrainModel, GradientsMatchFiniteDifferences) {
  Rng rng(2);
  TrainModel m(tiny_spec(LinearType::Float), rng);
  // Larger weights than the init, so every path carries signal.
  Rng wr(3);
  for (Param& p : m.params())
    for (float& v : p.value->span<float>()) v = p.decay ? float(wr.normal()) * 0.5f : 1.0f + float(wr.normal()) * 0.2f;
  m.zero_grads();
  m.forward(kInputs, kTargets, 2, 5);
  m.backward();
  const float h = 3e-3f;
  int checked = 0;
  for (Param& p : m.params()) {
    const int64_t n = p.value->numel();
    for (int64_t i = 0; i < n; i += std::max<int64_t>(1, n / 5)) {
      float& w = p.value->data<float>()[i];
      const float keep = w;
      w = keep + h;
      const double lp = m.forward(kInputs, kTargets, 2, 5);
      w = keep - h;
      const double lm = m.forward(kInputs, kTargets, 2, 5);
      w = keep;
      const double fd = (lp - lm) / (2 * h);
      const double g = p.grad->data<float>()[i];
      EXPECT_NEAR(g, fd, 2e-3 + 0.03 * std::fabs(fd)) << p.name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 80);
}

TEST(TrainModel, RejectsTokensOutsideVocabulary) {
  Rng rng(1);
  TrainModel m(tiny_spec(LinearType::Float), rng);
  const int32_t bad[2] = {3, 11};
  EXPECT_THROW(m.forward(bad, bad, 1, 2), Error);
}

}  // namespace
}  // namespace lowbit

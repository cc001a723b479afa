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

// The training path keeps each ternary projection's quantized input from
// the forward (shared by q/k/v and gate/up where the quantizers agree); the
// layers' own forward and backward quantize again. Same losses and
// gradients, bit for bit, over a few updates; a mix of projection types so
// that sharing, refusing to share and the non-ternary path all run.
TEST(TrainModel, KeptQuantizedActivationsMatchRecomputedOnes) {
  TrainModelSpec spec = tiny_spec(LinearType::BitLinear158);
  auto& l1 = spec.proj[1];
  l1[kQ].type = LinearType::HBitLinear;
  l1[kV].opt.subln = true;  // differs from k: not shared
  l1[kGate].type = LinearType::Float;
  l1[kDown].type = LinearType::HBitLinear, l1[kDown].opt.act_bits = 4;
  Rng ra(5), rb(5);
  TrainModel kept(spec, ra), redone(spec, rb);
  redone.set_keep_quantized_acts(false);
  std::vector<Param> pk = kept.params(), pr = redone.params();
  ASSERT_EQ(pk.size(), pr.size());
  for (int step = 0; step < 3; ++step) {
    for (TrainModel* m : {&kept, &redone}) m->zero_grads();
    const float lk = kept.forward(kInputs, kTargets, 2, 5);
    const float lr = redone.forward(kInputs, kTargets, 2, 5);
    ASSERT_EQ(lk, lr) << "step " << step;
    kept.backward();
    redone.backward();
    for (size_t i = 0; i < pk.size(); ++i) {
      const auto gk = pk[i].grad->span<float>(), gr = pr[i].grad->span<float>();
      for (size_t j = 0; j < gk.size(); ++j) ASSERT_EQ(gk[j], gr[j]) << pk[i].name << "[" << j << "] step " << step;
    }
    // A plain gradient step (large, so the ternary codes change).
    for (std::vector<Param>* ps : {&pk, &pr})
      for (Param& p : *ps) {
        auto w = p.value->span<float>();
        auto g = p.grad->span<float>();
        for (size_t j = 0; j < w.size(); ++j) w[j] -= 0.5f * g[j];
      }
    kept.requantize();
    redone.requantize();
  }
}

TEST(TrainModel, RejectsTokensOutsideVocabulary) {
  Rng rng(1);
  TrainModel m(tiny_spec(LinearType::Float), rng);
  const int32_t bad[2] = {3, 11};
  EXPECT_THROW(m.forward(bad, bad, 1, 2), Error);
}

}  // namespace
}  // namespace lowbit

// S2 attention, rope and softmax against the NumPy reference
// (tests/reference/attention_ref.py), hand-computed values, finite
// differences and properties.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../common/golden.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "nn/attention.hpp"
#include "nn/attention_core.hpp"
#include "nn/rope.hpp"
#include "nn/softmax.hpp"

namespace lowbit {
namespace {

using test::load_golden;

Tensor copy_of(const Tensor& t) {
  Tensor c(t.dtype(), t.shape());
  std::copy(t.span<float>().begin(), t.span<float>().end(), c.span<float>().begin());
  return c;
}

void expect_near_all(const float* got, const float* want, int64_t n, float tol) {
  for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], want[i], tol) << "at index " << i;
}

AttentionOptions golden_options() {
  AttentionOptions o;
  o.n_embd = 16;
  o.n_head = 4;
  o.n_head_kv = 2;
  o.head_dim = 4;
  o.rope_theta = 10000.0f;
  return o;
}

std::unique_ptr<BitAttention> golden_attention(const AttentionOptions& o, LinearType type = LinearType::Float) {
  return make_attention(o, type, {}, copy_of(load_golden("attention_wq.npy")), copy_of(load_golden("attention_wk.npy")),
                        copy_of(load_golden("attention_wv.npy")), copy_of(load_golden("attention_wo.npy")));
}

TEST(Softmax, HandComputed) {
  // e^0, e^1, e^2 over their sum 1 + e + e^2 = 11.107337927...
  float x[3] = {1.0f, 2.0f, 3.0f};
  softmax_inplace(x, 3);
  EXPECT_NEAR(x[0], 0.09003057f, 1e-7);
  EXPECT_NEAR(x[1], 0.24472847f, 1e-7);
  EXPECT_NEAR(x[2], 0.66524096f, 1e-7);
}

TEST(Softmax, LargeLogitsAndMask) {
  // Without max subtraction exp(1000) overflows to inf and the result is NaN.
  float x[3] = {1000.0f, 1001.0f, -INFINITY};
  softmax_inplace(x, 3);
  EXPECT_NEAR(x[0], 0.26894142f, 1e-7);  // 1 / (1 + e)
  EXPECT_NEAR(x[1], 0.73105858f, 1e-7);
  EXPECT_EQ(x[2], 0.0f);
  float all_masked[2] = {-INFINITY, -INFINITY};
  softmax_inplace(all_masked, 2);
  EXPECT_EQ(all_masked[0], 0.0f);
  EXPECT_EQ(all_masked[1], 0.0f);
}

TEST(Softmax, BackwardMatchesFiniteDifferences) {
  const float s0[4] = {0.3f, -1.2f, 2.0f, 0.1f};
  const float r[4] = {0.7f, -0.4f, 1.1f, 0.25f};  // loss = sum r * softmax(s)
  float p[4];
  std::copy(s0, s0 + 4, p);
  softmax_inplace(p, 4);
  float ds[4];
  softmax_backward(p, r, 4, ds);
  for (int j = 0; j < 4; ++j) {
    auto loss = [&](float delta) {
      float s[4];
      std::copy(s0, s0 + 4, s);
      s[j] += delta;
      softmax_inplace(s, 4);
      double l = 0;
      for (int i = 0; i < 4; ++i) l += double(r[i]) * s[i];
      return l;
    };
    const double fd = (loss(1e-3f) - loss(-1e-3f)) / 2e-3;
    EXPECT_NEAR(ds[j], fd, 1e-4) << j;
  }
}

TEST(Rope, MatchesNumPyBothStyles) {
  for (auto [style, file] : {std::pair{RopeStyle::Neox, "attention_rope_neox.npy"},
                             std::pair{RopeStyle::Interleaved, "attention_rope_interleaved.npy"}}) {
    Tensor x = copy_of(load_golden("attention_x.npy"));
    Tensor want = load_golden(file);
    rope_apply(x.data<float>(), 5, 4, 4, 0, 10000.0f, style);
    expect_near_all(x.data<float>(), want.data<float>(), x.numel(), 2e-6f);
  }
}

TEST(Rope, HandComputedPairAndInverse) {
  // head_dim 2: one pair rotated by pos * theta^0 = pos radians.
  float v[2] = {1.0f, 0.0f};
  rope_apply(v, 1, 1, 2, /*pos0=*/1, 10000.0f, RopeStyle::Neox);
  EXPECT_NEAR(v[0], std::cos(1.0), 1e-7);
  EXPECT_NEAR(v[1], std::sin(1.0), 1e-7);
  rope_apply(v, 1, 1, 2, 1, 10000.0f, RopeStyle::Neox, /*inverse=*/true);
  EXPECT_NEAR(v[0], 1.0f, 1e-7);
  EXPECT_NEAR(v[1], 0.0f, 1e-7);
}

TEST(Attention, MatchesNumPyCausalResidual) {
  auto attn = golden_attention(golden_options());
  Tensor x = load_golden("attention_x.npy"), want = load_golden("attention_y_neox.npy");
  std::vector<float> y(80);
  attn->forward(x.data<float>(), 5, y.data());
  expect_near_all(y.data(), want.data<float>(), 80, 2e-5f);
}

TEST(Attention, MatchesNumPyInterleavedWithTemperature) {
  AttentionOptions o = golden_options();
  o.rope_style = RopeStyle::Interleaved;
  o.temperature = 0.7f;
  auto attn = golden_attention(o);
  Tensor x = load_golden("attention_x.npy"), want = load_golden("attention_y_interleaved_t07.npy");
  std::vector<float> y(80);
  attn->forward(x.data<float>(), 5, y.data());
  expect_near_all(y.data(), want.data<float>(), 80, 2e-5f);
}

TEST(Attention, MatchesNumPyNonCausalNoResidual) {
  AttentionOptions o = golden_options();
  o.causal = false;
  o.residual = false;
  auto attn = golden_attention(o);
  Tensor x = load_golden("attention_x.npy"), want = load_golden("attention_y_neox_nocausal_nores.npy");
  std::vector<float> y(80);
  attn->forward(x.data<float>(), 5, y.data());
  expect_near_all(y.data(), want.data<float>(), 80, 2e-5f);
}

TEST(Attention, CausalMaskHidesTheFuture) {
  auto attn = golden_attention(golden_options());
  Tensor x = copy_of(load_golden("attention_x.npy"));
  std::vector<float> y0(80), y1(80);
  attn->forward(x.data<float>(), 5, y0.data());
  for (int i = 0; i < 16; ++i) x.data<float>()[4 * 16 + i] += 3.0f;  // change the last token only
  attn->forward(x.data<float>(), 5, y1.data());
  for (int i = 0; i < 4 * 16; ++i) EXPECT_EQ(y0[size_t(i)], y1[size_t(i)]) << i;
  bool last_changed = false;
  for (int i = 64; i < 80; ++i) last_changed |= y0[size_t(i)] != y1[size_t(i)];
  EXPECT_TRUE(last_changed);
}

TEST(Attention, GroupedHeadsEqualRepeatedKVHeads) {
  // GQA with 2 KV heads == MHA with 4 KV heads whose weights repeat each
  // KV head for its group (heads 0,1 -> kv 0; heads 2,3 -> kv 1).
  AttentionOptions mha = golden_options();
  mha.n_head_kv = 4;
  const Tensor wk = load_golden("attention_wk.npy"), wv = load_golden("attention_wv.npy");
  auto repeat = [](const Tensor& w) {
    Tensor r = Tensor::f32({16, 16});
    for (int h = 0; h < 4; ++h)
      for (int row = 0; row < 4; ++row)
        std::copy(w.data<float>() + ((h / 2) * 4 + row) * 16, w.data<float>() + ((h / 2) * 4 + row + 1) * 16,
                  r.data<float>() + (h * 4 + row) * 16);
    return r;
  };
  auto a_mha = make_attention(mha, LinearType::Float, {}, copy_of(load_golden("attention_wq.npy")), repeat(wk),
                              repeat(wv), copy_of(load_golden("attention_wo.npy")));
  Tensor x = load_golden("attention_x.npy"), want = load_golden("attention_y_neox.npy");
  std::vector<float> y(80);
  a_mha->forward(x.data<float>(), 5, y.data());
  expect_near_all(y.data(), want.data<float>(), 80, 2e-5f);
}

TEST(Attention, RejectsBadShapes) {
  AttentionOptions o = golden_options();
  o.n_head_kv = 3;
  EXPECT_THROW(golden_attention(o), Error);
  o = golden_options();
  EXPECT_THROW(make_attention(o, LinearType::Float, {}, Tensor::f32({16, 16}), Tensor::f32({16, 16}),
                              Tensor::f32({8, 16}), Tensor::f32({16, 16})),
               Error);
}

// Central finite differences of loss = sum(r * y) in double-free f32 math:
// the step and tolerance are chosen for f32 forward passes.
// The batched core (one sequence per thread, training) against the
// per-sequence functions (checked against NumPy and finite differences
// above): the same values bit for bit, GQA and a ragged thread split.
TEST(AttentionCore, BatchEqualsPerSequence) {
  ThreadPool::set_global_threads(2);
  const AttentionShape s{4, 2, 8, 1.0f, true};
  const int64_t B = 3, T = 9, qd = s.q_dim(), kvd = s.kv_dim(), pn = s.n_head * T * T;
  Rng rng(21);
  auto randn = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = float(rng.normal());
    return v;
  };
  const std::vector<float> q = randn(B * T * qd), k = randn(B * T * kvd), v = randn(B * T * kvd),
                           dctx = randn(B * T * qd);
  std::vector<float> probs(size_t(B * pn)), ctx(size_t(B * T * qd)), dq(q.size()), dk(k.size()), dv(v.size());
  attention_core_forward_batch(s, q.data(), k.data(), v.data(), B, T, probs.data(), ctx.data());
  attention_core_backward_batch(s, q.data(), k.data(), v.data(), probs.data(), dctx.data(), B, T, dq.data(), dk.data(),
                                dv.data());
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> p1(static_cast<size_t>(pn)), c1(static_cast<size_t>(T * qd)), dq1(c1.size()),
        dk1(static_cast<size_t>(T * kvd)), dv1(dk1.size());
    attention_core_forward(s, q.data() + b * T * qd, k.data() + b * T * kvd, v.data() + b * T * kvd, T, p1.data(),
                           c1.data());
    attention_core_backward(s, q.data() + b * T * qd, k.data() + b * T * kvd, v.data() + b * T * kvd, p1.data(),
                            dctx.data() + b * T * qd, T, dq1.data(), dk1.data(), dv1.data());
    for (int64_t i = 0; i < pn; ++i) ASSERT_EQ(probs[size_t(b * pn + i)], p1[size_t(i)]) << "probs " << b;
    for (int64_t i = 0; i < T * qd; ++i) {
      ASSERT_EQ(ctx[size_t(b * T * qd + i)], c1[size_t(i)]) << "ctx " << b;
      ASSERT_EQ(dq[size_t(b * T * qd + i)], dq1[size_t(i)]) << "dq " << b;
    }
    for (int64_t i = 0; i < T * kvd; ++i) {
      ASSERT_EQ(dk[size_t(b * T * kvd + i)], dk1[size_t(i)]) << "dk " << b;
      ASSERT_EQ(dv[size_t(b * T * kvd + i)], dv1[size_t(i)]) << "dv " << b;
    }
  }
}

TEST(Attention, BackwardMatchesFiniteDifferences) {
  auto attn = golden_attention(golden_options());
  Tensor x = copy_of(load_golden("attention_x.npy"));
  const int64_t n = 80;
  Rng rng(7);
  std::vector<float> r(n);
  for (auto& v : r) v = float(rng.normal());
  auto loss = [&]() {
    std::vector<float> y(n);
    attn->forward(x.data<float>(), 5, y.data());
    double l = 0;
    for (int64_t i = 0; i < n; ++i) l += double(r[size_t(i)]) * y[size_t(i)];
    return l;
  };
  BitAttention::Saved saved;
  std::vector<float> y(n), dx(n);
  attn->forward(x.data<float>(), 5, y.data(), saved);
  BitAttention::Grads g = attn->make_grads();
  attn->backward(x.data<float>(), 5, saved, r.data(), dx.data(), g);

  const float h = 1e-2f;
  for (int64_t i = 0; i < n; i += 7) {
    float& xi = x.data<float>()[i];
    const float keep = xi;
    xi = keep + h;
    const double lp = loss();
    xi = keep - h;
    const double lm = loss();
    xi = keep;
    EXPECT_NEAR(dx[size_t(i)], (lp - lm) / (2 * h), 2e-3) << "dx " << i;
  }
  for (int p = 0; p < 4; ++p) {
    Tensor& w = attn->proj(p).weight();
    for (int64_t i = 0; i < w.numel(); i += 13) {
      float& wi = w.data<float>()[i];
      const float keep = wi;
      wi = keep + h;
      const double lp = loss();
      wi = keep - h;
      const double lm = loss();
      wi = keep;
      EXPECT_NEAR(g.dw[p].data<float>()[i], (lp - lm) / (2 * h), 2e-3) << "proj " << p << " w " << i;
    }
  }
}

}  // namespace
}  // namespace lowbit

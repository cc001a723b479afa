#include "nn/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "nn/attention_core.hpp"

namespace lowbit {

void AttentionOptions::validate() const {
  LOWBIT_CHECK(n_embd > 0 && n_head > 0 && n_head_kv > 0 && head_dim > 0,
               "attention: n_embd {}, n_head {}, n_head_kv {}, head_dim {} must all be positive", n_embd, n_head,
               n_head_kv, head_dim);
  LOWBIT_CHECK(n_head % n_head_kv == 0, "attention: n_head {} is not a multiple of n_head_kv {}", n_head, n_head_kv);
  LOWBIT_CHECK(head_dim % 2 == 0, "attention: head_dim {} must be even for rotary embeddings", head_dim);
  LOWBIT_CHECK(temperature > 0, "attention: temperature {} must be positive", temperature);
}

BitAttention::BitAttention(const AttentionOptions& opt, std::unique_ptr<LinearLayer> wq,
                           std::unique_ptr<LinearLayer> wk, std::unique_ptr<LinearLayer> wv,
                           std::unique_ptr<LinearLayer> wo)
    : opt_(opt), proj_{std::move(wq), std::move(wk), std::move(wv), std::move(wo)} {
  opt_.validate();
  const int64_t qd = opt.n_head * opt.head_dim, kvd = opt.n_head_kv * opt.head_dim;
  const int64_t want_out[4] = {qd, kvd, kvd, opt.n_embd};
  const int64_t want_in[4] = {opt.n_embd, opt.n_embd, opt.n_embd, qd};
  const char* names[4] = {"q", "k", "v", "o"};
  for (int i = 0; i < 4; ++i)
    LOWBIT_CHECK(proj_[i] && proj_[i]->out_features() == want_out[i] && proj_[i]->in_features() == want_in[i],
                 "attention: {} projection must be [{}, {}]", names[i], want_out[i], want_in[i]);
}

size_t BitAttention::weight_bytes() const {
  size_t n = 0;
  for (auto& p : proj_) n += p->weight_bytes();
  return n;
}

BitAttention::Grads BitAttention::make_grads() const {
  Grads g;
  for (int i = 0; i < 4; ++i) {
    g.dw[i] = Tensor::f32(proj_[i]->weight().shape());
    std::fill(g.dw[i].span<float>().begin(), g.dw[i].span<float>().end(), 0.0f);
  }
  return g;
}

void BitAttention::forward(const float* x, int64_t T, float* y) const {
  Saved s;
  forward(x, T, y, s);
}

void BitAttention::forward(const float* x, int64_t T, float* y, Saved& s) const {
  const int64_t nh = opt_.n_head, hd = opt_.head_dim;
  const int64_t qd = nh * hd, kvd = opt_.n_head_kv * hd;
  s.q = Tensor::f32({T, qd});
  s.k = Tensor::f32({T, kvd});
  s.v = Tensor::f32({T, kvd});
  s.probs = Tensor::f32({nh, T, T});
  s.ctx = Tensor::f32({T, qd});
  proj_[0]->forward(x, T, s.q.data<float>());
  proj_[1]->forward(x, T, s.k.data<float>());
  proj_[2]->forward(x, T, s.v.data<float>());
  rope_apply(s.q.data<float>(), T, nh, hd, 0, opt_.rope_theta, opt_.rope_style);
  rope_apply(s.k.data<float>(), T, opt_.n_head_kv, hd, 0, opt_.rope_theta, opt_.rope_style);

  attention_core_forward(shape(), s.q.data<float>(), s.k.data<float>(), s.v.data<float>(), T,
                         s.probs.data<float>(), s.ctx.data<float>());
  proj_[3]->forward(s.ctx.data<float>(), T, y);
  if (opt_.residual)
    for (int64_t i = 0; i < T * opt_.n_embd; ++i) y[i] += x[i];
}

void BitAttention::backward(const float* x, int64_t T, const Saved& s, const float* dy, float* dx,
                            Grads& grads) const {
  const int64_t nh = opt_.n_head, nkv = opt_.n_head_kv, hd = opt_.head_dim;
  const int64_t qd = nh * hd, kvd = nkv * hd, d = opt_.n_embd;

  Tensor dctx_t = Tensor::f32({T, qd});
  proj_[3]->backward(s.ctx.data<float>(), dy, T, dctx_t.data<float>(), grads.dw[3].data<float>());

  Tensor dq_t = Tensor::f32({T, qd}), dk_t = Tensor::f32({T, kvd}), dv_t = Tensor::f32({T, kvd});
  float* dq = dq_t.data<float>();
  float* dk = dk_t.data<float>();
  float* dv = dv_t.data<float>();
  attention_core_backward(shape(), s.q.data<float>(), s.k.data<float>(), s.v.data<float>(), s.probs.data<float>(),
                          dctx_t.data<float>(), T, dq, dk, dv);

  rope_apply(dq, T, nh, hd, 0, opt_.rope_theta, opt_.rope_style, /*inverse=*/true);
  rope_apply(dk, T, nkv, hd, 0, opt_.rope_theta, opt_.rope_style, /*inverse=*/true);

  Tensor dx_part = Tensor::f32({T, d});
  float* part = dx_part.data<float>();
  proj_[0]->backward(x, dq, T, dx, grads.dw[0].data<float>());
  proj_[1]->backward(x, dk, T, part, grads.dw[1].data<float>());
  for (int64_t i = 0; i < T * d; ++i) dx[i] += part[i];
  proj_[2]->backward(x, dv, T, part, grads.dw[2].data<float>());
  for (int64_t i = 0; i < T * d; ++i) dx[i] += part[i];
  if (opt_.residual)
    for (int64_t i = 0; i < T * d; ++i) dx[i] += dy[i];
}

std::unique_ptr<BitAttention> make_attention(const AttentionOptions& opt, LinearType type, const LinearOptions& lopt,
                                             Tensor wq, Tensor wk, Tensor wv, Tensor wo) {
  return std::make_unique<BitAttention>(opt, make_linear(type, std::move(wq), lopt),
                                        make_linear(type, std::move(wk), lopt), make_linear(type, std::move(wv), lopt),
                                        make_linear(type, std::move(wo), lopt));
}

}  // namespace lowbit

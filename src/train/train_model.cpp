#include "train/train_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"
#include "nn/attention_core.hpp"
#include "nn/float_linear.hpp"
#include "nn/rms_norm.hpp"
#include "nn/rope.hpp"

namespace lowbit {

struct TrainModel::Acts {
  std::vector<float> x_in, inv1, h1, q, k, v, probs, ctx, inv_sub, att_n, x_mid, inv2, h2, g, u, a, inv3, f_n;
};

namespace {

Tensor filled(Shape s, float v) {
  Tensor t = Tensor::f32(s);
  std::fill(t.span<float>().begin(), t.span<float>().end(), v);
  return t;
}

Tensor normal(Shape s, float std, Rng& rng) {
  Tensor t = Tensor::f32(s);
  for (float& v : t.span<float>()) v = float(rng.normal()) * std;
  return t;
}

float* grow(std::vector<float>& v, int64_t n) {
  if (v.size() < size_t(n)) v.resize(size_t(n));
  return v.data();
}

}  // namespace

TrainModel::TrainModel(const TrainModelSpec& spec, Rng& rng) : spec_(spec) {
  const ModelConfig& c = spec_.arch;
  c.validate();
  LOWBIT_CHECK(int64_t(spec_.proj.size()) == c.n_layer, "train model: {} projection specs for {} layers",
               spec_.proj.size(), c.n_layer);
  const int64_t d = c.n_embd, qd = c.q_dim(), ff = c.n_ff;
  tok_embd_ = normal({c.n_vocab, d}, 0.02f, rng);
  d_tok_embd_ = filled({c.n_vocab, d}, 0);
  output_norm_ = filled({d}, 1);
  d_output_norm_ = filled({d}, 0);
  Shape shapes[kProjCount];
  for (const ProjectionSpec& p : kProjections) shapes[p.proj] = {dim_of(c, p.out), dim_of(c, p.in)};
  // Projections that write into the residual stream start smaller, so the
  // stream's variance does not grow with depth (GPT-2's scheme).
  const float out_std = 0.02f / std::sqrt(2.0f * float(c.n_layer));
  layers_.resize(size_t(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    Layer& L = layers_[size_t(l)];
    L.attn_norm = filled({d}, 1), L.d_attn_norm = filled({d}, 0);
    L.ffn_norm = filled({d}, 1), L.d_ffn_norm = filled({d}, 0);
    L.attn_sub_norm = filled({qd}, 1), L.d_attn_sub_norm = filled({qd}, 0);
    L.ffn_sub_norm = filled({ff}, 1), L.d_ffn_sub_norm = filled({ff}, 0);
    for (int p = 0; p < kProjCount; ++p) {
      const float std = kProjections[size_t(p)].writes_residual ? out_std : 0.02f;
      const ProjSpec& ps = spec_.proj[size_t(l)][size_t(p)];
      L.proj[p] = make_linear(ps.type, normal(shapes[p], std, rng), ps.opt);
      L.dproj[p] = filled(shapes[p], 0);
    }
  }
}

TrainModel::~TrainModel() = default;

std::vector<Param> TrainModel::params() {
  std::vector<Param> ps;
  ps.push_back({"token_embd.weight", &tok_embd_, &d_tok_embd_, true});
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& L = layers_[l];
    const std::string pre = fmt::format("blk.{}.", l);
    ps.push_back({pre + "attn_norm.weight", &L.attn_norm, &L.d_attn_norm, false});
    for (int p = 0; p < kProjCount; ++p)
      ps.push_back({pre + proj_gguf_name(p) + ".weight", &L.proj[p]->weight(), &L.dproj[p], true});
    ps.push_back({pre + "attn_sub_norm.weight", &L.attn_sub_norm, &L.d_attn_sub_norm, false});
    ps.push_back({pre + "ffn_norm.weight", &L.ffn_norm, &L.d_ffn_norm, false});
    ps.push_back({pre + "ffn_sub_norm.weight", &L.ffn_sub_norm, &L.d_ffn_sub_norm, false});
  }
  ps.push_back({"output_norm.weight", &output_norm_, &d_output_norm_, false});
  return ps;
}

int64_t TrainModel::n_params() const {
  int64_t n = tok_embd_.numel() + output_norm_.numel();
  for (const Layer& L : layers_) {
    n += L.attn_norm.numel() + L.ffn_norm.numel() + L.attn_sub_norm.numel() + L.ffn_sub_norm.numel();
    for (auto& p : L.proj) n += p->weight().numel();
  }
  return n;
}

void TrainModel::zero_grads() {
  for (Param& p : params()) std::fill(p.grad->span<float>().begin(), p.grad->span<float>().end(), 0.0f);
}

void TrainModel::requantize() {
  for (Layer& L : layers_)
    for (auto& p : L.proj) p->requantize();
}

void TrainModel::set_proj_spec(int64_t layer, int p, const ProjSpec& s) {
  Layer& L = layers_[size_t(layer)];
  Tensor w(DType::F32, L.proj[p]->weight().shape());
  std::copy(L.proj[p]->weight().span<float>().begin(), L.proj[p]->weight().span<float>().end(),
            w.span<float>().begin());
  L.proj[p] = make_linear(s.type, std::move(w), s.opt);
  spec_.proj[size_t(layer)][size_t(p)] = s;
}

void TrainModel::proj_forward(int64_t l, int p, const float* x, int64_t n, float* y) {
  LinearLayer& layer = *layers_[size_t(l)].proj[p];
  layer.forward(x, n, y);
  if (blend_ >= 1.0f || layer.type() == LinearType::Float) return;
  // Progressive quantization: blend * quantized + (1 - blend) * float.
  const int64_t out = layer.out_features();
  float* yf = grow(scratch_, n * out);
  matmul_xwt(x, layer.weight().data<float>(), n, layer.in_features(), out, yf);
  for (int64_t i = 0; i < n * out; ++i) y[i] = blend_ * y[i] + (1.0f - blend_) * yf[i];
}

// dx [n, in] is overwritten.
void TrainModel::proj_backward(int64_t l, int p, const float* x, const float* dy, int64_t n, float* dx) {
  Layer& L = layers_[size_t(l)];
  LinearLayer& layer = *L.proj[p];
  float* dw = L.dproj[p].data<float>();
  if (blend_ >= 1.0f || layer.type() == LinearType::Float) {
    layer.backward(x, dy, n, dx, dw);
    return;
  }
  const int64_t in = layer.in_features(), out = layer.out_features();
  std::vector<float> dy_q(dy, dy + n * out), dy_f(dy, dy + n * out), dx_f(static_cast<size_t>(n * in));
  for (auto& v : dy_q) v *= blend_;
  for (auto& v : dy_f) v *= 1.0f - blend_;
  layer.backward(x, dy_q.data(), n, dx, dw);
  matmul_dy_w(dy_f.data(), layer.weight().data<float>(), n, in, out, dx_f.data());
  accumulate_dyt_x(dy_f.data(), x, n, in, out, dw);
  for (int64_t i = 0; i < n * in; ++i) dx[i] += dx_f[size_t(i)];
}

float TrainModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T, bool backward) {
  const ModelConfig& c = spec_.arch;
  const int64_t N = B * T, d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff, V = c.n_vocab;
  const float eps = c.rms_eps;
  const AttentionShape ash{c.n_head, c.n_head_kv, c.head_dim, 1.0f, true};
  if (acts_.size() != layers_.size()) {
    acts_.clear();
    for (size_t l = 0; l < layers_.size(); ++l) acts_.push_back(std::make_unique<Acts>());
  }

  std::vector<float> x(static_cast<size_t>(N * d)), tmp(static_cast<size_t>(N * std::max(d, ff)));
  for (int64_t i = 0; i < N; ++i) {
    LOWBIT_CHECK(inputs[i] >= 0 && inputs[i] < V && targets[i] >= 0 && targets[i] < V,
                 "token id out of the vocabulary of {}", V);
    std::copy(tok_embd_.data<float>() + inputs[i] * d, tok_embd_.data<float>() + (inputs[i] + 1) * d,
              x.data() + i * d);
  }

  for (int64_t l = 0; l < c.n_layer; ++l) {
    Layer& L = layers_[size_t(l)];
    Acts& A = *acts_[size_t(l)];
    A.x_in.assign(x.begin(), x.end());
    rms_norm_forward(x.data(), L.attn_norm.data<float>(), N, d, eps, grow(A.h1, N * d), grow(A.inv1, N));
    proj_forward(l, kQ, A.h1.data(), N, grow(A.q, N * qd));
    proj_forward(l, kK, A.h1.data(), N, grow(A.k, N * kvd));
    proj_forward(l, kV, A.h1.data(), N, grow(A.v, N * kvd));
    grow(A.probs, B * c.n_head * T * T);
    grow(A.ctx, N * qd);
    for (int64_t b = 0; b < B; ++b) {
      rope_apply(A.q.data() + b * T * qd, T, c.n_head, c.head_dim, 0, c.rope_theta, c.rope_style);
      rope_apply(A.k.data() + b * T * kvd, T, c.n_head_kv, c.head_dim, 0, c.rope_theta, c.rope_style);
      attention_core_forward(ash, A.q.data() + b * T * qd, A.k.data() + b * T * kvd, A.v.data() + b * T * kvd, T,
                             A.probs.data() + b * c.n_head * T * T, A.ctx.data() + b * T * qd);
    }
    rms_norm_forward(A.ctx.data(), L.attn_sub_norm.data<float>(), N, qd, eps, grow(A.att_n, N * qd),
                     grow(A.inv_sub, N));
    proj_forward(l, kO, A.att_n.data(), N, tmp.data());
    grow(A.x_mid, N * d);
    for (int64_t i = 0; i < N * d; ++i) A.x_mid[size_t(i)] = x[size_t(i)] + tmp[size_t(i)];

    rms_norm_forward(A.x_mid.data(), L.ffn_norm.data<float>(), N, d, eps, grow(A.h2, N * d), grow(A.inv2, N));
    proj_forward(l, kGate, A.h2.data(), N, grow(A.g, N * ff));
    proj_forward(l, kUp, A.h2.data(), N, grow(A.u, N * ff));
    grow(A.a, N * ff);
    for (int64_t i = 0; i < N * ff; ++i) {
      const float r = std::max(A.g[size_t(i)], 0.0f);
      A.a[size_t(i)] = r * r * A.u[size_t(i)];
    }
    rms_norm_forward(A.a.data(), L.ffn_sub_norm.data<float>(), N, ff, eps, grow(A.f_n, N * ff), grow(A.inv3, N));
    proj_forward(l, kDown, A.f_n.data(), N, tmp.data());
    for (int64_t i = 0; i < N * d; ++i) x[size_t(i)] = A.x_mid[size_t(i)] + tmp[size_t(i)];
  }

  std::vector<float> inv_f(static_cast<size_t>(N)), xn(static_cast<size_t>(N * d)), logits(static_cast<size_t>(N * V));
  rms_norm_forward(x.data(), output_norm_.data<float>(), N, d, eps, xn.data(), inv_f.data());
  sgemm(false, true, N, V, d, xn.data(), d, tok_embd_.data<float>(), d, 0.0f, logits.data(), V);

  // Cross-entropy; logits become dL/dlogits = (softmax - onehot) / N.
  std::vector<double> row_loss(static_cast<size_t>(N));
  ThreadPool::global().parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* z = logits.data() + r * V;
      const float mx = *std::max_element(z, z + V);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j] - mx));
      row_loss[size_t(r)] = std::log(sum) + mx - z[targets[r]];
      if (!backward) continue;
      for (int64_t j = 0; j < V; ++j) z[j] = float(std::exp(double(z[j] - mx)) / sum) / float(N);
      z[targets[r]] -= 1.0f / float(N);
    }
  });
  double loss = 0;
  for (double v : row_loss) loss += v;
  loss /= double(N);
  if (!backward) return float(loss);

  // Output head (tied to the embedding) and final norm.
  std::vector<float> dx(static_cast<size_t>(N * d)), dtmp(static_cast<size_t>(N * std::max({d, ff, qd})));
  sgemm(false, false, N, d, V, logits.data(), V, tok_embd_.data<float>(), d, 0.0f, dtmp.data(), d);
  sgemm(true, false, V, d, N, logits.data(), V, xn.data(), d, 1.0f, d_tok_embd_.data<float>(), d);
  rms_norm_backward(x.data(), output_norm_.data<float>(), inv_f.data(), dtmp.data(), N, d, dx.data(),
                    d_output_norm_.data<float>());

  std::vector<float> d1(static_cast<size_t>(N * std::max({d, ff, qd}))), d2(static_cast<size_t>(N * std::max({d, ff, qd}))),
      dg(static_cast<size_t>(N * ff)), du(static_cast<size_t>(N * ff)), dq(static_cast<size_t>(N * qd)), dk(static_cast<size_t>(N * kvd)), dv(static_cast<size_t>(N * kvd));
  for (int64_t l = c.n_layer - 1; l >= 0; --l) {
    Layer& L = layers_[size_t(l)];
    Acts& A = *acts_[size_t(l)];
    // x_out = x_mid + down(f_n): dx flows to x_mid unchanged.
    proj_backward(l, kDown, A.f_n.data(), dx.data(), N, d1.data());
    rms_norm_backward(A.a.data(), L.ffn_sub_norm.data<float>(), A.inv3.data(), d1.data(), N, ff, d1.data(),
                      L.d_ffn_sub_norm.data<float>());
    for (int64_t i = 0; i < N * ff; ++i) {
      const float r = std::max(A.g[size_t(i)], 0.0f);
      dg[size_t(i)] = d1[size_t(i)] * 2.0f * r * A.u[size_t(i)];
      du[size_t(i)] = d1[size_t(i)] * r * r;
    }
    proj_backward(l, kGate, A.h2.data(), dg.data(), N, d1.data());
    proj_backward(l, kUp, A.h2.data(), du.data(), N, d2.data());
    for (int64_t i = 0; i < N * d; ++i) d1[size_t(i)] += d2[size_t(i)];
    rms_norm_backward(A.x_mid.data(), L.ffn_norm.data<float>(), A.inv2.data(), d1.data(), N, d, d1.data(),
                      L.d_ffn_norm.data<float>());
    for (int64_t i = 0; i < N * d; ++i) dx[size_t(i)] += d1[size_t(i)];

    // x_mid = x_in + o(att_n)
    proj_backward(l, kO, A.att_n.data(), dx.data(), N, d1.data());
    rms_norm_backward(A.ctx.data(), L.attn_sub_norm.data<float>(), A.inv_sub.data(), d1.data(), N, qd, d1.data(),
                      L.d_attn_sub_norm.data<float>());
    for (int64_t b = 0; b < B; ++b) {
      attention_core_backward(ash, A.q.data() + b * T * qd, A.k.data() + b * T * kvd, A.v.data() + b * T * kvd,
                              A.probs.data() + b * c.n_head * T * T, d1.data() + b * T * qd, T,
                              dq.data() + b * T * qd, dk.data() + b * T * kvd, dv.data() + b * T * kvd);
      rope_apply(dq.data() + b * T * qd, T, c.n_head, c.head_dim, 0, c.rope_theta, c.rope_style, true);
      rope_apply(dk.data() + b * T * kvd, T, c.n_head_kv, c.head_dim, 0, c.rope_theta, c.rope_style, true);
    }
    proj_backward(l, kQ, A.h1.data(), dq.data(), N, d1.data());
    proj_backward(l, kK, A.h1.data(), dk.data(), N, d2.data());
    for (int64_t i = 0; i < N * d; ++i) d1[size_t(i)] += d2[size_t(i)];
    proj_backward(l, kV, A.h1.data(), dv.data(), N, d2.data());
    for (int64_t i = 0; i < N * d; ++i) d1[size_t(i)] += d2[size_t(i)];
    rms_norm_backward(A.x_in.data(), L.attn_norm.data<float>(), A.inv1.data(), d1.data(), N, d, d1.data(),
                      L.d_attn_norm.data<float>());
    for (int64_t i = 0; i < N * d; ++i) dx[size_t(i)] += d1[size_t(i)];
  }
  for (int64_t i = 0; i < N; ++i) {
    float* de = d_tok_embd_.data<float>() + inputs[i] * d;
    for (int64_t j = 0; j < d; ++j) de[j] += dx[size_t(i * d + j)];
  }
  return float(loss);
}

}  // namespace lowbit

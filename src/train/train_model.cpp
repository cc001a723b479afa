#include "train/train_model.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"
#include "nn/attention_core.hpp"
#include "nn/float_linear.hpp"
#include "nn/gated_activation.hpp"
#include "nn/rms_norm.hpp"
#include "nn/rope.hpp"
#include "nn/ternary_linear.hpp"
#include "train/train_tensors.hpp"

namespace lowbit {

struct TrainModel::Acts {
  std::vector<float> x_in, inv1, h1, q, k, v, probs, ctx, inv_sub, att_n, x_mid, inv2, h2, g, u, a, inv3, f_n;
  // The ternary projections' quantized inputs, kept for the backward:
  // projection p's are in qa[qa_slot[p]] (a sibling's slot when it read the
  // same input with the same quantizer: q/k/v, gate/up); -1: the layer's
  // own forward and backward (other types, progressive blending).
  std::array<TernaryLinear::TrainActs, kProjCount> qa;
  std::array<int, kProjCount> qa_slot{};
};

namespace {

// fn(i0, i1) over [0, n) on the pool: the element-wise passes between the
// matmuls (residual adds, the gate, gradient sums).
void for_elements(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  ThreadPool::global().parallel_for(n, 4096, fn);
}

// Rotates (table.inverse: back) the B sequences' q [B*T, n_head*hd] and
// k [B*T, n_head_kv*hd], positions 0..T-1 in each, one sequence per task.
void rope_qk(const ModelConfig& c, int64_t B, int64_t T, float* q, float* k, const RopeTable& table) {
  const int64_t qd = c.q_dim(), kvd = c.kv_dim();
  ThreadPool::global().parallel_for(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      rope_apply(q + b * T * qd, c.n_head, c.head_dim, c.rope_style, table);
      rope_apply(k + b * T * kvd, c.n_head_kv, c.head_dim, c.rope_style, table);
    }
  });
}

}  // namespace

TrainModel::TrainModel(const TrainModelSpec& spec, Rng& rng) : spec_(spec) {
  const ModelConfig& c = spec_.arch;
  c.validate();
  LOWBIT_CHECK(int64_t(spec_.proj.size()) == c.n_layer, "train model: {} projection specs for {} layers",
               spec_.proj.size(), c.n_layer);
  const int64_t d = c.n_embd, qd = c.q_dim(), ff = c.n_ff;
  tok_embd_ = normal_tensor({c.n_vocab, d}, 0.02f, rng);
  d_tok_embd_ = filled_tensor({c.n_vocab, d}, 0);
  output_norm_ = filled_tensor({d}, 1);
  d_output_norm_ = filled_tensor({d}, 0);
  Shape shapes[kProjCount];
  for (const ProjectionSpec& p : kProjections) shapes[p.proj] = {dim_of(c, p.out), dim_of(c, p.in)};
  // Projections that write into the residual stream start smaller, so the
  // stream's variance does not grow with depth (GPT-2's scheme).
  const float out_std = 0.02f / std::sqrt(2.0f * float(c.n_layer));
  layers_.resize(size_t(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    Layer& L = layers_[size_t(l)];
    L.attn_norm = filled_tensor({d}, 1), L.d_attn_norm = filled_tensor({d}, 0);
    L.ffn_norm = filled_tensor({d}, 1), L.d_ffn_norm = filled_tensor({d}, 0);
    L.attn_sub_norm = filled_tensor({qd}, 1), L.d_attn_sub_norm = filled_tensor({qd}, 0);
    L.ffn_sub_norm = filled_tensor({ff}, 1), L.d_ffn_sub_norm = filled_tensor({ff}, 0);
    for (int p = 0; p < kProjCount; ++p) {
      const float std = kProjections[size_t(p)].writes_residual ? out_std : 0.02f;
      const ProjSpec& ps = spec_.proj[size_t(l)][size_t(p)];
      L.proj[p] = make_linear(ps.type, normal_tensor(shapes[p], std, rng), ps.opt);
      L.dproj[p] = filled_tensor(shapes[p], 0);
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
  // One projection per task: each is a serial pass over its weights
  // (LinearLayer::requantize uses no pool).
  std::vector<LinearLayer*> all;
  for (Layer& L : layers_)
    for (auto& p : L.proj) all.push_back(p.get());
  ThreadPool::global().parallel_for_dynamic(int64_t(all.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) all[size_t(i)]->requantize();
  });
}

void TrainModel::set_proj_spec(int64_t layer, int p, const ProjSpec& s) {
  Layer& L = layers_[size_t(layer)];
  Tensor w(DType::F32, L.proj[p]->weight().shape());
  std::copy(L.proj[p]->weight().span<float>().begin(), L.proj[p]->weight().span<float>().end(),
            w.span<float>().begin());
  L.proj[p] = make_linear(s.type, std::move(w), s.opt);
  spec_.proj[size_t(layer)][size_t(p)] = s;
}

void TrainModel::proj_forward(int64_t l, int p, const float* x, int64_t n, float* y, int share) {
  LinearLayer& layer = *layers_[size_t(l)].proj[p];
  Acts& A = *acts_[size_t(l)];
  A.qa_slot[size_t(p)] = -1;
  if (const auto* t = blend_ >= 1.0f && keep_quantized_acts_ ? dynamic_cast<const TernaryLinear*>(&layer) : nullptr) {
    int slot = p;
    if (share >= 0 && A.qa_slot[size_t(share)] == share) {
      const auto* s = dynamic_cast<const TernaryLinear*>(layers_[size_t(l)].proj[share].get());
      if (s && s->same_act_quantizer(*t)) slot = share;
    }
    if (slot == p) t->quantize_for_training(x, n, A.qa[size_t(p)]);
    A.qa_slot[size_t(p)] = slot;
    t->forward_from(A.qa[size_t(slot)], y);
    return;
  }
  layer.forward(x, n, y);
  if (blend_ >= 1.0f || layer.type() == LinearType::Float) return;
  // Progressive quantization: blend * quantized + (1 - blend) * float.
  const int64_t out = layer.out_features();
  float* yf = grown(scratch_, n * out);
  matmul_xwt(x, layer.weight().data<float>(), n, layer.in_features(), out, yf);
  for (int64_t i = 0; i < n * out; ++i) y[i] = blend_ * y[i] + (1.0f - blend_) * yf[i];
}

// dx [n, in] is overwritten.
void TrainModel::proj_backward(int64_t l, int p, const float* x, const float* dy, int64_t n, float* dx) {
  Layer& L = layers_[size_t(l)];
  LinearLayer& layer = *L.proj[p];
  float* dw = L.dproj[p].data<float>();
  const Acts& A = *acts_[size_t(l)];
  if (const int slot = A.qa_slot[size_t(p)]; slot >= 0) {
    static_cast<const TernaryLinear&>(layer).backward_from(x, A.qa[size_t(slot)], dy, dx, dw);
    return;
  }
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

struct TrainModel::HeadActs {
  std::vector<int32_t> inputs, targets;
  int64_t B = 0, T = 0;
  std::vector<float> x, inv_f, xn, logits;  // last block's output, final norm, head output
  std::vector<double> row_max, row_sum;     // the softmax of each logits row
  std::vector<double> row_loss;
  std::vector<float> tmp, dxn;  // forward's scratch, head_backward's dL/dxn
  RopeTable rope, rope_back;    // positions 0..T-1, forward and inverse
};

struct TrainModel::BackBufs {
  std::vector<float> dx, d1, d2, dg, du, dq, dk, dv;
};

void TrainModel::embed(const int32_t* inputs, const int32_t* targets, int64_t N, float* x) const {
  const ModelConfig& c = spec_.arch;
  const int64_t d = c.n_embd, V = c.n_vocab;
  for (int64_t i = 0; i < N; ++i) {
    LOWBIT_CHECK(inputs[i] >= 0 && inputs[i] < V && targets[i] >= 0 && targets[i] < V,
                 "token id out of the vocabulary of {}", V);
    std::copy(tok_embd_.data<float>() + inputs[i] * d, tok_embd_.data<float>() + (inputs[i] + 1) * d, x + i * d);
  }
}

void TrainModel::block_forward(int64_t l, int64_t B, int64_t T, const float* x, float* out, float* tmp) {
  const ModelConfig& c = spec_.arch;
  const int64_t N = B * T, d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
  const float eps = c.rms_eps;
  const AttentionShape ash{c.n_head, c.n_head_kv, c.head_dim, 1.0f, true};
  Layer& L = layers_[size_t(l)];
  Acts& A = *acts_[size_t(l)];
  rms_norm_forward(x, L.attn_norm.data<float>(), N, d, eps, grown(A.h1, N * d), grown(A.inv1, N));
  proj_forward(l, kQ, A.h1.data(), N, grown(A.q, N * qd));
  proj_forward(l, kK, A.h1.data(), N, grown(A.k, N * kvd), kQ);
  proj_forward(l, kV, A.h1.data(), N, grown(A.v, N * kvd), kQ);
  rope_qk(c, B, T, A.q.data(), A.k.data(), head_->rope);
  attention_core_forward_batch(ash, A.q.data(), A.k.data(), A.v.data(), B, T, grown(A.probs, B * c.n_head * T * T),
                               grown(A.ctx, N * qd));
  rms_norm_forward(A.ctx.data(), L.attn_sub_norm.data<float>(), N, qd, eps, grown(A.att_n, N * qd),
                   grown(A.inv_sub, N));
  proj_forward(l, kO, A.att_n.data(), N, tmp);
  float* x_mid = grown(A.x_mid, N * d);
  for_elements(N * d, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) x_mid[i] = x[i] + tmp[i];
  });

  rms_norm_forward(A.x_mid.data(), L.ffn_norm.data<float>(), N, d, eps, grown(A.h2, N * d), grown(A.inv2, N));
  proj_forward(l, kGate, A.h2.data(), N, grown(A.g, N * ff));
  proj_forward(l, kUp, A.h2.data(), N, grown(A.u, N * ff), kGate);
  float *a = grown(A.a, N * ff), *gate = A.g.data(), *up = A.u.data();
  for_elements(N * ff, [&](int64_t i0, int64_t i1) { relu2_gate(gate + i0, up + i0, i1 - i0, 1.0f, 1.0f, a + i0); });
  rms_norm_forward(A.a.data(), L.ffn_sub_norm.data<float>(), N, ff, eps, grown(A.f_n, N * ff), grown(A.inv3, N));
  proj_forward(l, kDown, A.f_n.data(), N, tmp);
  for_elements(N * d, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = x_mid[i] + tmp[i];
  });
}

float TrainModel::head_forward(const float* x, int64_t N) {
  const ModelConfig& c = spec_.arch;
  const int64_t d = c.n_embd, V = c.n_vocab;
  HeadActs& H = *head_;
  grown(H.inv_f, N);
  grown(H.xn, N * d);
  grown(H.logits, N * V);
  rms_norm_forward(x, output_norm_.data<float>(), N, d, c.rms_eps, H.xn.data(), H.inv_f.data());
  sgemm(false, true, N, V, d, H.xn.data(), d, tok_embd_.data<float>(), d, 0.0f, H.logits.data(), V);

  H.row_max.resize(size_t(N));
  H.row_sum.resize(size_t(N));
  std::vector<double>& row_loss = H.row_loss;
  row_loss.resize(size_t(N));
  ThreadPool::global().parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* z = H.logits.data() + r * V;
      const float mx = *std::max_element(z, z + V);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j] - mx));
      H.row_max[size_t(r)] = mx;
      H.row_sum[size_t(r)] = sum;
      row_loss[size_t(r)] = std::log(sum) + mx - z[H.targets[size_t(r)]];
    }
  });
  double loss = 0;
  for (double v : row_loss) loss += v;
  return float(loss / double(N));
}

float TrainModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) {
  const ModelConfig& c = spec_.arch;
  const int64_t N = B * T, d = c.n_embd, ff = c.n_ff;
  if (acts_.size() != layers_.size()) {
    acts_.clear();
    for (size_t l = 0; l < layers_.size(); ++l) acts_.push_back(std::make_unique<Acts>());
  }
  if (!head_) head_ = std::make_unique<HeadActs>();
  // Buffers kept across steps: no allocation (and no zeroing) per step.
  float* tmp = grown(head_->tmp, N * std::max(d, ff));
  // Block l reads its input from its own saved x_in (kept for the
  // backward) and writes its output into the next block's (the last one
  // into the head's): the residual stream is never copied.
  auto input_of = [&](int64_t l) {
    return l < c.n_layer ? grown(acts_[size_t(l)]->x_in, N * d) : grown(head_->x, N * d);
  };
  embed(inputs, targets, N, input_of(0));
  head_->inputs.assign(inputs, inputs + N);
  head_->targets.assign(targets, targets + N);
  head_->B = B, head_->T = T;
  if (head_->rope.tokens != T) {
    RopeParams rp;
    rp.theta = c.rope_theta, rp.style = c.rope_style;
    head_->rope = rope_table(T, c.head_dim, 0, rp);
    head_->rope_back = rope_table(T, c.head_dim, 0, rp, true);
  }
  for (int64_t l = 0; l < c.n_layer; ++l) block_forward(l, B, T, input_of(l), input_of(l + 1), tmp);
  return head_forward(head_->x.data(), N);
}

void TrainModel::head_backward(int64_t N, float* dx) {
  const ModelConfig& c = spec_.arch;
  const int64_t d = c.n_embd, V = c.n_vocab;
  HeadActs& H = *head_;
  // The logits become dL/dlogits = (softmax - onehot) / N.
  ThreadPool::global().parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* z = H.logits.data() + r * V;
      const double mx = H.row_max[size_t(r)], sum = H.row_sum[size_t(r)];
      for (int64_t j = 0; j < V; ++j) z[j] = float(std::exp(double(z[j] - float(mx))) / sum) / float(N);
      z[H.targets[size_t(r)]] -= 1.0f / float(N);
    }
  });
  // Output head (tied to the embedding) and final norm.
  float* dxn = grown(H.dxn, N * d);
  sgemm(false, false, N, d, V, H.logits.data(), V, tok_embd_.data<float>(), d, 0.0f, dxn, d);
  sgemm(true, false, V, d, N, H.logits.data(), V, H.xn.data(), d, 1.0f, d_tok_embd_.data<float>(), d);
  rms_norm_backward(H.x.data(), output_norm_.data<float>(), H.inv_f.data(), dxn, N, d, dx,
                    d_output_norm_.data<float>());
}

// dst[i] += src[i] for i < n.
void add_into(int64_t n, const float* src, float* dst) {
  for_elements(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dst[i] += src[i];
  });
}

void TrainModel::block_backward(int64_t l, int64_t B, int64_t T, float* dx, BackBufs& g) {
  const ModelConfig& c = spec_.arch;
  const int64_t N = B * T, d = c.n_embd, qd = c.q_dim(), ff = c.n_ff;
  const AttentionShape ash{c.n_head, c.n_head_kv, c.head_dim, 1.0f, true};
  Layer& L = layers_[size_t(l)];
  Acts& A = *acts_[size_t(l)];
  float *d1 = g.d1.data(), *d2 = g.d2.data();
  // x_out = x_mid + down(f_n): dx flows to x_mid unchanged.
  proj_backward(l, kDown, A.f_n.data(), dx, N, d1);
  rms_norm_backward(A.a.data(), L.ffn_sub_norm.data<float>(), A.inv3.data(), d1, N, ff, d1,
                    L.d_ffn_sub_norm.data<float>());
  float *dg = g.dg.data(), *du = g.du.data();
  const float *gate = A.g.data(), *up = A.u.data();
  for_elements(N * ff, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float r = (gate[i] + std::fabs(gate[i])) * 0.5f;  // relu, branch-free as relu2_gate's (vectorizes)
      dg[i] = d1[i] * 2.0f * r * up[i];
      du[i] = d1[i] * r * r;
    }
  });
  proj_backward(l, kGate, A.h2.data(), dg, N, d1);
  proj_backward(l, kUp, A.h2.data(), du, N, d2);
  add_into(N * d, d2, d1);
  rms_norm_backward(A.x_mid.data(), L.ffn_norm.data<float>(), A.inv2.data(), d1, N, d, d1,
                    L.d_ffn_norm.data<float>());
  add_into(N * d, d1, dx);

  // x_mid = x_in + o(att_n)
  proj_backward(l, kO, A.att_n.data(), dx, N, d1);
  rms_norm_backward(A.ctx.data(), L.attn_sub_norm.data<float>(), A.inv_sub.data(), d1, N, qd, d1,
                    L.d_attn_sub_norm.data<float>());
  float *dq = g.dq.data(), *dk = g.dk.data(), *dv = g.dv.data();
  attention_core_backward_batch(ash, A.q.data(), A.k.data(), A.v.data(), A.probs.data(), d1, B, T, dq, dk, dv);
  rope_qk(c, B, T, dq, dk, head_->rope_back);
  proj_backward(l, kQ, A.h1.data(), dq, N, d1);
  proj_backward(l, kK, A.h1.data(), dk, N, d2);
  add_into(N * d, d2, d1);
  proj_backward(l, kV, A.h1.data(), dv, N, d2);
  add_into(N * d, d2, d1);
  rms_norm_backward(A.x_in.data(), L.attn_norm.data<float>(), A.inv1.data(), d1, N, d, d1,
                    L.d_attn_norm.data<float>());
  add_into(N * d, d1, dx);
}

void TrainModel::backward() {
  LOWBIT_CHECK(head_ && head_->B > 0, "train model: backward without a forward");
  const ModelConfig& c = spec_.arch;
  const int64_t B = head_->B, T = head_->T, N = B * T, d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
  if (!back_) back_ = std::make_unique<BackBufs>();
  BackBufs& g = *back_;  // kept across steps, every element written before it is read
  float* dx = grown(g.dx, N * d);
  head_backward(N, dx);
  const int64_t widest = N * std::max({d, ff, qd});
  grown(g.d1, widest), grown(g.d2, widest);
  grown(g.dg, N * ff), grown(g.du, N * ff);
  grown(g.dq, N * qd), grown(g.dk, N * kvd), grown(g.dv, N * kvd);
  for (int64_t l = c.n_layer - 1; l >= 0; --l) block_backward(l, B, T, dx, g);
  // Rows of the embedding gradient: split by column so that repeated tokens
  // add in token order on one thread (the same sums at any thread count).
  const std::vector<int32_t>& inputs = head_->inputs;
  float* d_embd = d_tok_embd_.data<float>();
  ThreadPool::global().parallel_for(d, 16, [&](int64_t j0, int64_t j1) {
    for (int64_t i = 0; i < N; ++i) {
      float* de = d_embd + inputs[size_t(i)] * d;
      for (int64_t j = j0; j < j1; ++j) de[j] += dx[i * d + j];
    }
  });
  head_->B = 0;  // the logits now hold gradients: one backward per forward
}

}  // namespace lowbit

#include "model/bitnet_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "nn/rms_norm.hpp"
#include "nn/rope.hpp"

namespace lowbit {

namespace {

TensorRef require(const TensorLookup& lookup, const std::string& name) {
  auto t = lookup(name);
  LOWBIT_CHECK(t.has_value(), "model file has no tensor '{}'", name);
  return *t;
}

std::vector<float> load_vector(const TensorLookup& lookup, const std::string& name, int64_t n) {
  TensorRef t = require(lookup, name);
  LOWBIT_CHECK(t.numel() == n, "tensor '{}' has {} elements, expected {}", name, t.numel(), n);
  LOWBIT_CHECK(t.format && t.format->to_float && t.format->block_elems == 1,
               "tensor '{}': a norm weight must be f32, f16 or bf16, not {}", name,
               t.format ? t.format->name : "(unknown)");
  std::vector<float> v(static_cast<size_t>(n));
  t.format->to_float(t.data, v.data(), n);
  return v;
}

std::unique_ptr<Matrix> load_projection(const ModelConfig& cfg, const TensorLookup& lookup, const std::string& name,
                                        int64_t rows, int64_t cols, const ModelLoadOptions& opt) {
  TensorRef t = require(lookup, name);
  LOWBIT_CHECK(t.rows == rows && t.cols == cols, "tensor '{}' is [{}, {}], expected [{}, {}] (rows, cols)", name,
               t.rows, t.cols, rows, cols);
  LOWBIT_CHECK(t.format != nullptr, "tensor '{}' has a type lowbit does not know", name);
  const auto lt = cfg.layer_types.find(name.substr(0, name.size() - std::string(".weight").size()));
  if (lt != cfg.layer_types.end() && !(opt.int8 && lt->second.first == LinearType::Float))
    return make_layer_matrix(t, lt->second.first, lt->second.second);
  if (is_ternary_format(*t.format) || opt.ternary_float_weights) return make_ternary_matrix(t);
  if (opt.int8) {
    LinearOptions lo;
    lo.threshold = opt.int8_threshold;
    return make_layer_matrix(t, LinearType::Int8, lo);
  }
  return make_f32_matrix(t);
}

void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  rms_norm_forward(x, w, rows, n, eps, y, nullptr);
}

// out[i] = act(g[i] * sg) * (u[i] * su). One loop per activation so the
// relu^2 one (2B4T's) vectorizes: a branch on the activation inside the
// loop, with exp() in one arm, kept it scalar (a visible share of decode).
// out may be g itself: results go through a local block, which the
// vectorizer knows aliases nothing, and are copied out after their inputs
// were read.
void gated_activation(const float* g, const float* u, int64_t n, float sg, float su, FfnAct act, float* out) {
  constexpr int64_t kBlock = 256;
  float block[kBlock];
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t m = std::min(kBlock, n - i0);
    const float *gb = g + i0, *ub = u + i0;
    if (act == FfnAct::Relu2) {
      for (int64_t i = 0; i < m; ++i) {
        // relu(x) as (x + |x|) / 2, exact (x + x only doubles x): written
        // as x > 0 ? x : 0 or max(0, x) it stayed a branch, mispredicted
        // half the time and never vectorized (45 us a layer at 6912 wide).
        const float x = gb[i] * sg, r = (x + std::fabs(x)) * 0.5f;
        block[i] = r * r * (ub[i] * su);
      }
    } else {
      for (int64_t i = 0; i < m; ++i) {
        const float x = gb[i] * sg;
        block[i] = x / (1.0f + std::exp(-x)) * (ub[i] * su);
      }
    }
    std::copy(block, block + m, out + i0);
  }
}

void scale_in_place(float* y, int64_t n, float s) {
  if (s == 1.0f) return;
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

}  // namespace

BitNetModel::BitNetModel(const ModelConfig& cfg, const TensorLookup& lookup, const ModelLoadOptions& opt)
    : cfg_(cfg) {
  cfg_.validate();
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim(), kvd = cfg_.kv_dim(), ff = cfg_.n_ff;
  tok_embd_ = require(lookup, "token_embd.weight");
  LOWBIT_CHECK(tok_embd_.cols == d && tok_embd_.rows == cfg_.n_vocab,
               "tensor 'token_embd.weight' is [{}, {}], expected [{}, {}]", tok_embd_.rows, tok_embd_.cols,
               cfg_.n_vocab, d);
  LOWBIT_CHECK(tok_embd_.format && tok_embd_.format->to_float && tok_embd_.format->tensor_trailer_bytes == 0 &&
                   d % tok_embd_.format->block_elems == 0,
               "tensor 'token_embd.weight': type {} is not supported for embeddings",
               tok_embd_.format ? tok_embd_.format->name : "(unknown)");
  embd_row_bytes_ = d / tok_embd_.format->block_elems * tok_embd_.format->block_bytes;

  static const char* kProj[7] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
  layers_.resize(size_t(cfg_.n_layer));
  for (int64_t l = 0; l < cfg_.n_layer; ++l) {
    Layer& L = layers_[size_t(l)];
    const std::string p = fmt::format("blk.{}.", l);
    L.attn_norm = load_vector(lookup, p + "attn_norm.weight", d);
    L.ffn_norm = load_vector(lookup, p + "ffn_norm.weight", d);
    if (cfg_.sub_norms) {
      L.attn_sub_norm = load_vector(lookup, p + "attn_sub_norm.weight", qd);
      L.ffn_sub_norm = load_vector(lookup, p + "ffn_sub_norm.weight", ff);
    }
    L.wq = load_projection(cfg_, lookup, p + "attn_q.weight", qd, d, opt);
    L.wk = load_projection(cfg_, lookup, p + "attn_k.weight", kvd, d, opt);
    L.wv = load_projection(cfg_, lookup, p + "attn_v.weight", kvd, d, opt);
    L.wo = load_projection(cfg_, lookup, p + "attn_output.weight", d, qd, opt);
    L.gate = load_projection(cfg_, lookup, p + "ffn_gate.weight", ff, d, opt);
    L.up = load_projection(cfg_, lookup, p + "ffn_up.weight", ff, d, opt);
    L.down = load_projection(cfg_, lookup, p + "ffn_down.weight", d, ff, opt);
    for (int i = 0; i < 7; ++i)
      if (auto s = lookup(p + kProj[i] + ".scale")) L.scale[i] = load_vector(lookup, s->name, 1)[0];
    if ((L.qkv = fuse_ternary_rows({L.wq.get(), L.wk.get(), L.wv.get()}))) L.wq.reset(), L.wk.reset(), L.wv.reset();
    if ((L.gate_up = fuse_ternary_rows({L.gate.get(), L.up.get()}))) L.gate.reset(), L.up.reset();
  }
  output_norm_ = load_vector(lookup, "output_norm.weight", d);
  if (auto out = lookup("output.weight")) {
    LOWBIT_CHECK(out->rows == cfg_.n_vocab && out->cols == d, "tensor 'output.weight' is [{}, {}], expected [{}, {}]",
                 out->rows, out->cols, cfg_.n_vocab, d);
    output_ = out->format && is_ternary_format(*out->format) ? make_ternary_matrix(*out) : make_streamed_matrix(*out);
  } else {
    LOWBIT_CHECK(cfg_.tied_output, "model file has no tensor 'output.weight' and the output is not tied");
    output_ = make_streamed_matrix(tok_embd_);
    tied_ = true;
  }
}

void BitNetModel::embed(const int32_t* tokens, int64_t T, float* x) const {
  for (int64_t t = 0; t < T; ++t) {
    LOWBIT_CHECK(tokens[t] >= 0 && tokens[t] < cfg_.n_vocab, "token id {} is outside the vocabulary of {}",
                 tokens[t], cfg_.n_vocab);
    // Tied: the head holds the same rows (and its copy of them is the one in
    // memory; the file's pages were released).
    if (tied_ && output_->read_row(tokens[t], x + t * cfg_.n_embd)) continue;
    tok_embd_.format->to_float(static_cast<const uint8_t*>(tok_embd_.data) + tokens[t] * embd_row_bytes_,
                               x + t * cfg_.n_embd, cfg_.n_embd);
  }
}

float* BitNetModel::grow_scratch(int64_t T) {
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim(), kvd = cfg_.kv_dim(), ff = cfg_.n_ff;
  auto grow = [](std::vector<float>& v, int64_t n) {
    if (v.size() < size_t(n)) v.resize(size_t(n));
  };
  grow(x_, T * d);
  grow(h_, T * std::max(d, qd));
  grow(qkv_, T * (qd + 2 * kvd));
  grow(q_, T * qd);
  grow(k_, T * kvd);
  grow(v_, T * kvd);
  grow(att_, T * qd);
  grow(ffn_, T * 2 * ff);
  grow(tmp_, T * std::max(d, ff));
  return x_.data();
}

namespace {

// Copies columns [c0, c0 + n) of y [T, ld] into out [T, n].
void take_columns(const float* y, int64_t T, int64_t ld, int64_t c0, int64_t n, float* out) {
  for (int64_t t = 0; t < T; ++t) std::copy(y + t * ld + c0, y + t * ld + c0 + n, out + t * n);
}

}  // namespace

template <class Attend>
void BitNetModel::run_layers(float* x, int64_t T, const Attend& attend) {
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim(), kvd = cfg_.kv_dim(), ff = cfg_.n_ff;
  float *h = h_.data(), *q = q_.data(), *k = k_.data(), *v = v_.data(), *att = att_.data();
  float *ffn = ffn_.data(), *tmp = tmp_.data();
  for (int64_t l = 0; l < cfg_.n_layer; ++l) {
    const Layer& L = layers_[size_t(l)];
    rms_norm(x, L.attn_norm.data(), T, d, cfg_.rms_eps, h);
    if (L.qkv) {
      const int64_t ld = qd + 2 * kvd;
      L.qkv->matmul(h, T, qkv_.data());
      take_columns(qkv_.data(), T, ld, 0, qd, q);
      take_columns(qkv_.data(), T, ld, qd, kvd, k);
      take_columns(qkv_.data(), T, ld, qd + kvd, kvd, v);
    } else {
      L.wq->matmul(h, T, q);
      L.wk->matmul(h, T, k);
      L.wv->matmul(h, T, v);
    }
    scale_in_place(q, T * qd, L.scale[0]);
    scale_in_place(k, T * kvd, L.scale[1]);
    scale_in_place(v, T * kvd, L.scale[2]);
    attend(l, q, k, v, att);
    if (cfg_.sub_norms) rms_norm(att, L.attn_sub_norm.data(), T, qd, cfg_.rms_eps, att);
    L.wo->matmul(att, T, tmp);
    scale_in_place(tmp, T * d, L.scale[3]);
    for (int64_t i = 0; i < T * d; ++i) x[i] += tmp[i];

    rms_norm(x, L.ffn_norm.data(), T, d, cfg_.rms_eps, h);
    // gate and up of token t: fused, side by side in row t of [T, 2 ff];
    // apart, gate [T, ff] then up [T, ff].
    const float *gate = ffn, *up = L.gate_up ? ffn + ff : ffn + T * ff;
    const int64_t ld = L.gate_up ? 2 * ff : ff;
    if (L.gate_up) {
      L.gate_up->matmul(h, T, ffn);
    } else {
      L.gate->matmul(h, T, ffn);
      L.up->matmul(h, T, ffn + T * ff);
    }
    // act(gate) * up into ffn [T, ff], in place: the write to (t, i) lands at
    // or before every gate/up value still to be read, so none is clobbered.
    for (int64_t t = 0; t < T; ++t)
      gated_activation(gate + t * ld, up + t * ld, ff, L.scale[4], L.scale[5], cfg_.ffn_act, ffn + t * ff);
    if (cfg_.sub_norms) rms_norm(ffn, L.ffn_sub_norm.data(), T, ff, cfg_.rms_eps, ffn);
    L.down->matmul(ffn, T, tmp);
    scale_in_place(tmp, T * d, L.scale[6]);
    for (int64_t i = 0; i < T * d; ++i) x[i] += tmp[i];
  }
}

void BitNetModel::forward(const int32_t* tokens, int64_t T, int64_t pos0, KVCache& cache, float* logits,
                          bool all_logits) {
  LOWBIT_CHECK(T > 0, "forward: no tokens");
  LOWBIT_CHECK(pos0 >= 0 && pos0 + T <= cache.n_ctx(), "context is full: {} tokens at position {} exceed {}", T,
               pos0, cache.n_ctx());
  const int64_t d = cfg_.n_embd, kvd = cfg_.kv_dim();
  float* x = grow_scratch(T);
  embed(tokens, T, x);
  run_layers(x, T, [&](int64_t l, float* q, float* k, const float* v, float* att) {
    rope_apply(q, T, cfg_.n_head, cfg_.head_dim, pos0, cfg_.rope_theta, cfg_.rope_style);
    rope_apply(k, T, cfg_.n_head_kv, cfg_.head_dim, pos0, cfg_.rope_theta, cfg_.rope_style);
    for (int64_t t = 0; t < T; ++t) {
      std::copy(k + t * kvd, k + (t + 1) * kvd, cache.k(l, pos0 + t));
      std::copy(v + t * kvd, v + (t + 1) * kvd, cache.v(l, pos0 + t));
    }
    attend_cached(cfg_, cache, l, q, T, pos0, att);
  });
  const int64_t first = all_logits ? 0 : T - 1, n_out = T - first;
  rms_norm(x + first * d, output_norm_.data(), n_out, d, cfg_.rms_eps, h_.data());
  output_->matmul(h_.data(), n_out, logits);
}

void BitNetModel::forward_batch(const int32_t* tokens, const int64_t* positions, KVCache* const* caches, int64_t n,
                                float* logits) {
  LOWBIT_CHECK(n > 0, "forward_batch: no rows");
  for (int64_t i = 0; i < n; ++i) {
    LOWBIT_CHECK(caches[i] != nullptr, "forward_batch: row {} has no cache", i);
    LOWBIT_CHECK(positions[i] >= 0 && positions[i] < caches[i]->n_ctx(),
                 "context is full: position {} of row {} exceeds {}", positions[i], i, caches[i]->n_ctx());
  }
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim(), kvd = cfg_.kv_dim();
  float* x = grow_scratch(n);
  embed(tokens, n, x);
  run_layers(x, n, [&](int64_t l, float* q, float* k, const float* v, float* att) {
    // Rows sit at different positions of different sequences, so rotation,
    // caching and attention go row by row (T = 1 each).
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pos = positions[i];
      rope_apply(q + i * qd, 1, cfg_.n_head, cfg_.head_dim, pos, cfg_.rope_theta, cfg_.rope_style);
      rope_apply(k + i * kvd, 1, cfg_.n_head_kv, cfg_.head_dim, pos, cfg_.rope_theta, cfg_.rope_style);
      std::copy(k + i * kvd, k + (i + 1) * kvd, caches[i]->k(l, pos));
      std::copy(v + i * kvd, v + (i + 1) * kvd, caches[i]->v(l, pos));
      attend_cached(cfg_, *caches[i], l, q + i * qd, 1, pos, att + i * qd);
    }
  });
  rms_norm(x, output_norm_.data(), n, d, cfg_.rms_eps, h_.data());
  output_->matmul(h_.data(), n, logits);
}

size_t BitNetModel::bytes_per_token() const {
  size_t n = output_->bytes() + size_t(embd_row_bytes_);
  for (const Layer& L : layers_)
    for (const Matrix* m : {L.wq.get(), L.wk.get(), L.wv.get(), L.wo.get(), L.gate.get(), L.up.get(), L.down.get(),
                            L.qkv.get(), L.gate_up.get()})
      if (m) n += m->bytes();
  return n;
}

std::string BitNetModel::summary() const {
  std::string s = fmt::format("{}: {} layers, d={}, heads={}/{} (kv), head_dim={}, ff={}, vocab={}\n", cfg_.arch,
                              cfg_.n_layer, cfg_.n_embd, cfg_.n_head, cfg_.n_head_kv, cfg_.head_dim, cfg_.n_ff,
                              cfg_.n_vocab);
  if (!layers_.empty()) {
    const Layer& L = layers_[0];
    s += fmt::format("projections: q {}, o {}, gate {}, down {}{}\n", (L.wq ? L.wq : L.qkv)->describe(),
                     L.wo->describe(), (L.gate ? L.gate : L.gate_up)->describe(), L.down->describe(),
                     L.qkv && L.gate_up ? "; q/k/v and gate/up fused" : "");
  }
  s += fmt::format("output: {}; {:.1f} MiB read per token", output_->describe(), double(bytes_per_token()) / 1048576.0);
  return s;
}

}  // namespace lowbit

#include "model/decoder_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/buffer_arena.hpp"
#include "core/error.hpp"
#include "kernels/silu_gate.hpp"
#include "model/tensor_load.hpp"
#include "nn/cached_attention.hpp"
#include "nn/gated_activation.hpp"
#include "nn/rms_norm.hpp"
#include "nn/rope.hpp"

namespace lowbit {

namespace {

std::unique_ptr<Matrix> load_projection(const ModelConfig& cfg, const TensorLookup& lookup, const std::string& name,
                                        int64_t rows, int64_t cols, const ModelLoadOptions& opt) {
  TensorRef t = require_tensor(lookup, name);
  LOWBIT_CHECK(t.rows == rows && t.cols == cols, "tensor '{}' is [{}, {}], expected [{}, {}] (rows, cols)", name,
               t.rows, t.cols, rows, cols);
  LOWBIT_CHECK(t.format != nullptr, "tensor '{}' has a type lowbit does not know", name);
  const auto lt = cfg.layer_types.find(name.substr(0, name.size() - std::string(".weight").size()));
  if (lt != cfg.layer_types.end() && !(opt.int8 && lt->second.first == LinearType::Float))
    return make_layer_matrix(t, lt->second.first, lt->second.second);
  if (is_ternary_format(*t.format) || opt.ternary_float_weights) return make_ternary_matrix(t);
  if (opt.int8) return make_int8_matrix(t, opt.int8_threshold);
  return make_float_matrix(t);
}

void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  rms_norm_forward(x, w, rows, n, eps, y, nullptr);
}

void scale_in_place(float* y, int64_t n, float s) {
  if (s == 1.0f) return;
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

// Copies columns [c0, c0 + n) of y [T, ld] into out [T, n].
void take_columns(const float* y, int64_t T, int64_t ld, int64_t c0, int64_t n, float* out) {
  for (int64_t t = 0; t < T; ++t) std::copy(y + t * ld + c0, y + t * ld + c0 + n, out + t * n);
}

void add_in_place(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

DecoderModel::DecoderModel(const ModelFamily& family, const ModelConfig& cfg, const TensorLookup& lookup,
                           const ModelLoadOptions& opt)
    : family_(family), cfg_(cfg) {
  cfg_.validate();
  const int64_t d = cfg_.n_embd;
  tok_embd_ = require_embedding(lookup, kTokenEmbd, cfg_.n_vocab, d, &embd_row_bytes_);
  if (auto rf = lookup(kRopeFreqs)) cfg_.rope_freq_factors = load_float_vector(*rf, cfg_.head_dim / 2);

  layers_.resize(size_t(cfg_.n_layer));
  for (int64_t l = 0; l < cfg_.n_layer; ++l) load_layer(l, lookup, opt);
  gather_weights();
  output_norm_ = load_float_vector(require_tensor(lookup, kOutputNorm), d);
  if (auto out = lookup(kOutput)) {
    LOWBIT_CHECK(out->rows == cfg_.n_vocab && out->cols == d, "tensor '{}' is [{}, {}], expected [{}, {}]", kOutput,
                 out->rows, out->cols, cfg_.n_vocab, d);
    output_ = out->format && is_ternary_format(*out->format) ? make_ternary_matrix(*out)
              : opt.head_type                                ? make_head_matrix(*out, *opt.head_type)
                                                             : make_streamed_matrix(*out);
  } else {
    LOWBIT_CHECK(cfg_.tied_output, "model file has no tensor '{}' and the output is not tied", kOutput);
    tied_ = true;
    embed_from_head_ = !opt.head_type || opt.head_type == tok_embd_.format;
    output_ = embed_from_head_ ? make_streamed_matrix(tok_embd_) : make_head_matrix(tok_embd_, *opt.head_type);
  }
  if (opt.exact_greedy_k > 0) load_exact_head(lookup, opt.exact_greedy_k);
}

// The f16 rows the low-bit head came from: a tied f16 token_embd quantized
// at load (--head-type), or a file whose output.weight is its f16
// token_embd.weight quantized (`lowbit quantize --head-type T
// --keep-f16-embd`), checked on sampled rows.
void DecoderModel::load_exact_head(const TensorLookup& lookup, int k) {
  const bool f16_embd = tok_embd_.format->format == Format::F16;
  LOWBIT_CHECK(
      f16_embd && !embed_from_head_,
      "--exact-greedy needs a low-bit head next to f16 rows: a tied f16 model with --head-type q8_0|q6_k|q4_0, "
      "or a file with an f16 token_embd.weight and a quantized output.weight (lowbit quantize --head-type T "
      "--keep-f16-embd)");
  if (!tied_) {
    const TensorRef out = require_tensor(lookup, kOutput);
    LOWBIT_CHECK(out.format->from_float, "--exact-greedy: output.weight is {}, not a head format", out.format->name);
    const int64_t d = cfg_.n_embd, ob = format_bytes(*out.format, d);
    std::vector<float> row(static_cast<size_t>(d));
    std::vector<uint8_t> q(static_cast<size_t>(ob));
    for (int64_t i = 0; i < 64; ++i) {
      const int64_t r = i * (cfg_.n_vocab - 1) / 63;
      tok_embd_.format->to_float(static_cast<const uint8_t*>(tok_embd_.data) + r * embd_row_bytes_, row.data(), d);
      out.format->from_float(row.data(), q.data(), d);
      LOWBIT_CHECK(std::equal(q.begin(), q.end(), static_cast<const uint8_t*>(out.data) + r * ob),
                   "--exact-greedy: output.weight row {} is not token_embd.weight's row quantized to {}", r,
                   out.format->name);
    }
  }
  exact_ = std::make_unique<ExactGreedyHead>(tok_embd_, k);
}

void DecoderModel::load_layer(int64_t l, const TensorLookup& lookup, const ModelLoadOptions& opt) {
  Layer& L = layers_[size_t(l)];
  for (const NormSpec& n : kNorms)
    if (!n.sub_norm || cfg_.sub_norms)
      L.norm[n.norm] = load_float_vector(require_tensor(lookup, block_tensor_name(l, n.gguf)), dim_of(cfg_, n.dim));
  for (const ProjectionSpec& p : kProjections) {
    L.proj[p.proj] =
        load_projection(cfg_, lookup, block_tensor_name(l, p.gguf), dim_of(cfg_, p.out), dim_of(cfg_, p.in), opt);
    if (family_.projection_scales)
      if (auto s = lookup(block_tensor_name(l, p.gguf, ".scale"))) L.scale[p.proj] = load_float_vector(*s, 1)[0];
  }
  if ((L.qkv = fuse_rows({L.proj[kQ].get(), L.proj[kK].get(), L.proj[kV].get()})))
    L.proj[kQ].reset(), L.proj[kK].reset(), L.proj[kV].reset();
  if ((L.gate_up = fuse_rows({L.proj[kGate].get(), L.proj[kUp].get()}))) L.proj[kGate].reset(), L.proj[kUp].reset();
}

// The projections' weights in one mapping, in the order a decode step reads
// them (core/buffer_arena.hpp says why). The head stays in its own: it is
// one buffer already, and moving it would briefly hold it twice.
void DecoderModel::gather_weights() {
  std::vector<AlignedBuffer*> bufs;
  for (Layer& L : layers_)
    for (Matrix* m : {L.qkv.get(), L.proj[kQ].get(), L.proj[kK].get(), L.proj[kV].get(), L.proj[kO].get(),
                      L.gate_up.get(), L.proj[kGate].get(), L.proj[kUp].get(), L.proj[kDown].get()})
      if (m) m->weight_buffers(bufs);
  gather_into_one_buffer(bufs);
}

std::unique_ptr<SequenceState> DecoderModel::new_state(int64_t n_ctx) const {
  return std::make_unique<KVCache>(cfg_, n_ctx);
}

KVCache& DecoderModel::cache_of(SequenceState& s) {
  auto* c = dynamic_cast<KVCache*>(&s);
  LOWBIT_CHECK(c != nullptr, "a transformer model needs a KV cache state (made by its new_state)");
  return *c;
}

RopeParams DecoderModel::rope() const {
  RopeParams p;
  p.theta = cfg_.rope_theta;
  p.style = cfg_.rope_style;
  p.freq_scale = cfg_.rope_freq_scale;
  p.freq_factors = cfg_.rope_freq_factors.empty() ? nullptr : cfg_.rope_freq_factors.data();
  return p;
}

void DecoderModel::embed(const int32_t* tokens, int64_t T, float* x) const {
  for (int64_t t = 0; t < T; ++t) {
    LOWBIT_CHECK(tokens[t] >= 0 && tokens[t] < cfg_.n_vocab, "token id {} is outside the vocabulary of {}", tokens[t],
                 cfg_.n_vocab);
    // Tied: the head holds the same rows (and its copy of them is the one in
    // memory; the file's pages were released).
    if (embed_from_head_ && output_->read_row(tokens[t], x + t * cfg_.n_embd)) continue;
    tok_embd_.format->to_float(static_cast<const uint8_t*>(tok_embd_.data) + tokens[t] * embd_row_bytes_,
                               x + t * cfg_.n_embd, cfg_.n_embd);
  }
}

float* DecoderModel::grow_scratch(int64_t T) {
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

void DecoderModel::project_qkv(const Layer& L, const float* h, int64_t T, float* q, float* k, float* v) {
  const int64_t qd = cfg_.q_dim(), kvd = cfg_.kv_dim();
  if (L.qkv) {
    const int64_t ld = qd + 2 * kvd;
    L.qkv->matmul(h, T, qkv_.data());
    take_columns(qkv_.data(), T, ld, 0, qd, q);
    take_columns(qkv_.data(), T, ld, qd, kvd, k);
    take_columns(qkv_.data(), T, ld, qd + kvd, kvd, v);
  } else {
    L.proj[kQ]->matmul(h, T, q);
    L.proj[kK]->matmul(h, T, k);
    L.proj[kV]->matmul(h, T, v);
  }
  scale_in_place(q, T * qd, L.scale[kQ]);
  scale_in_place(k, T * kvd, L.scale[kK]);
  scale_in_place(v, T * kvd, L.scale[kV]);
}

void DecoderModel::feed_forward(const Layer& L, float* x, int64_t T) {
  const int64_t d = cfg_.n_embd, ff = cfg_.n_ff;
  float *h = h_.data(), *ffn = ffn_.data(), *tmp = tmp_.data();
  rms_norm(x, L.norm[kFfnNorm].data(), T, d, cfg_.rms_eps, h);
  // gate and up of token t: fused, side by side in row t of [T, 2 ff];
  // apart, gate [T, ff] then up [T, ff].
  const float *gate = ffn, *up = L.gate_up ? ffn + ff : ffn + T * ff;
  const int64_t ld = L.gate_up ? 2 * ff : ff;
  if (L.gate_up) {
    L.gate_up->matmul(h, T, ffn);
  } else {
    L.proj[kGate]->matmul(h, T, ffn);
    L.proj[kUp]->matmul(h, T, ffn + T * ff);
  }
  // act(gate) * up into ffn [T, ff], in place: the write to (t, i) lands at
  // or before every gate/up value still to be read, so none is clobbered.
  for (int64_t t = 0; t < T; ++t)
    (cfg_.ffn_act == FfnAct::Relu2 ? relu2_gate : silu_gate)(gate + t * ld, up + t * ld, ff, L.scale[kGate],
                                                             L.scale[kUp], ffn + t * ff);
  if (cfg_.sub_norms) rms_norm(ffn, L.norm[kFfnSubNorm].data(), T, ff, cfg_.rms_eps, ffn);
  L.proj[kDown]->matmul(ffn, T, tmp);
  scale_in_place(tmp, T * d, L.scale[kDown]);
  add_in_place(x, tmp, T * d);
}

template <class Attend>
void DecoderModel::run_layers(float* x, int64_t T, const Attend& attend) {
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim();
  float *h = h_.data(), *q = q_.data(), *k = k_.data(), *v = v_.data(), *att = att_.data(), *tmp = tmp_.data();
  for (int64_t l = 0; l < cfg_.n_layer; ++l) {
    const Layer& L = layers_[size_t(l)];
    rms_norm(x, L.norm[kAttnNorm].data(), T, d, cfg_.rms_eps, h);
    project_qkv(L, h, T, q, k, v);
    attend(l, q, k, v, att);
    if (cfg_.sub_norms) rms_norm(att, L.norm[kAttnSubNorm].data(), T, qd, cfg_.rms_eps, att);
    L.proj[kO]->matmul(att, T, tmp);
    scale_in_place(tmp, T * d, L.scale[kO]);
    add_in_place(x, tmp, T * d);
    feed_forward(L, x, T);
  }
}

float* DecoderModel::run_sequence(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state) {
  KVCache& cache = cache_of(state);
  LOWBIT_CHECK(T > 0, "forward: no tokens");
  LOWBIT_CHECK(pos0 >= 0 && pos0 + T <= cache.n_ctx(), "context is full: {} tokens at position {} exceed {}", T, pos0,
               cache.n_ctx());
  const int64_t kvd = cfg_.kv_dim();
  const AttentionShape shape{cfg_.n_head, cfg_.n_head_kv, cfg_.head_dim};
  const RopeParams rp = rope();
  float* x = grow_scratch(T);
  embed(tokens, T, x);
  run_layers(x, T, [&](int64_t l, float* q, float* k, const float* v, float* att) {
    rope_apply(q, T, cfg_.n_head, cfg_.head_dim, pos0, rp);
    rope_apply(k, T, cfg_.n_head_kv, cfg_.head_dim, pos0, rp);
    for (int64_t t = 0; t < T; ++t) {
      std::copy(k + t * kvd, k + (t + 1) * kvd, cache.k(l, pos0 + t));
      std::copy(v + t * kvd, v + (t + 1) * kvd, cache.v(l, pos0 + t));
    }
    attend_cached(shape, cache.k(l, 0), cache.v(l, 0), q, T, pos0, att);
  });
  return x;
}

void DecoderModel::forward(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* logits,
                           bool all_logits) {
  const float* x = run_sequence(tokens, T, pos0, state);
  const int64_t d = cfg_.n_embd;
  const int64_t first = all_logits ? 0 : T - 1, n_out = T - first;
  rms_norm(x + first * d, output_norm_.data(), n_out, d, cfg_.rms_eps, h_.data());
  output_->matmul(h_.data(), n_out, logits);
  if (exact_) exact_->rescore(h_.data(), n_out, logits);
}

void DecoderModel::forward_batch(const int32_t* tokens, const int64_t* positions, SequenceState* const* states,
                                 int64_t n, float* logits) {
  LOWBIT_CHECK(n > 0, "forward_batch: no rows");
  std::vector<KVCache*>& caches = batch_caches_;
  caches.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    LOWBIT_CHECK(states[i] != nullptr, "forward_batch: row {} has no state", i);
    caches[size_t(i)] = &cache_of(*states[i]);
    LOWBIT_CHECK(positions[i] >= 0 && positions[i] < caches[size_t(i)]->n_ctx(),
                 "context is full: position {} of row {} exceeds {}", positions[i], i, caches[size_t(i)]->n_ctx());
  }
  const int64_t d = cfg_.n_embd, qd = cfg_.q_dim(), kvd = cfg_.kv_dim();
  const AttentionShape shape{cfg_.n_head, cfg_.n_head_kv, cfg_.head_dim};
  const RopeParams rp = rope();
  float* x = grow_scratch(n);
  embed(tokens, n, x);
  run_layers(x, n, [&](int64_t l, float* q, float* k, const float* v, float* att) {
    // Rows sit at different positions of different sequences, so rotation,
    // caching and attention go row by row (T = 1 each).
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pos = positions[i];
      KVCache& cache = *caches[size_t(i)];
      rope_apply(q + i * qd, 1, cfg_.n_head, cfg_.head_dim, pos, rp);
      rope_apply(k + i * kvd, 1, cfg_.n_head_kv, cfg_.head_dim, pos, rp);
      std::copy(k + i * kvd, k + (i + 1) * kvd, cache.k(l, pos));
      std::copy(v + i * kvd, v + (i + 1) * kvd, cache.v(l, pos));
      attend_cached(shape, cache.k(l, 0), cache.v(l, 0), q + i * qd, 1, pos, att + i * qd);
    }
  });
  rms_norm(x, output_norm_.data(), n, d, cfg_.rms_eps, h_.data());
  output_->matmul(h_.data(), n, logits);
  if (exact_) exact_->rescore(h_.data(), n, logits);
}

void DecoderModel::forward_hidden(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* hidden) {
  const float* x = run_sequence(tokens, T, pos0, state);
  rms_norm(x, output_norm_.data(), T, cfg_.n_embd, cfg_.rms_eps, hidden);
}

size_t DecoderModel::bytes_per_token() const {
  size_t n = output_->bytes() + size_t(embd_row_bytes_) + (exact_ ? exact_->bytes_per_token() : 0);
  for (const Layer& L : layers_) {
    for (const auto& m : L.proj)
      if (m) n += m->bytes();
    for (const Matrix* m : {L.qkv.get(), L.gate_up.get()})
      if (m) n += m->bytes();
  }
  return n;
}

std::string DecoderModel::summary() const {
  std::string s =
      fmt::format("{} ({}): {} layers, d={}, heads={}/{} (kv), head_dim={}, ff={}, vocab={}, {} gate{}\n", cfg_.arch,
                  family_.about, cfg_.n_layer, cfg_.n_embd, cfg_.n_head, cfg_.n_head_kv, cfg_.head_dim, cfg_.n_ff,
                  cfg_.n_vocab, ffn_act_name(cfg_.ffn_act), cfg_.sub_norms ? ", sub-norms" : "");
  if (!layers_.empty()) {
    const Layer& L = layers_[0];
    s += fmt::format("projections: q {}, o {}, gate {}, down {}{}\n", (L.proj[kQ] ? L.proj[kQ] : L.qkv)->describe(),
                     L.proj[kO]->describe(), (L.proj[kGate] ? L.proj[kGate] : L.gate_up)->describe(),
                     L.proj[kDown]->describe(), L.qkv && L.gate_up ? "; q/k/v and gate/up fused" : "");
  }
  s += fmt::format("output: {}{}{}; {:.1f} MiB read per token", output_->describe(), tied_ ? " (tied)" : "",
                   exact_ ? fmt::format(", exact greedy: top {} re-scored in f16", exact_->k()) : "",
                   double(bytes_per_token()) / 1048576.0);
  return s;
}

}  // namespace lowbit

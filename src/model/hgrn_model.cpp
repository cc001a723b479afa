#include "model/hgrn_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/buffer_arena.hpp"
#include "core/error.hpp"
#include "model/decoder_block.hpp"
#include "model/tensor_load.hpp"
#include "nn/hgrn_recurrence.hpp"
#include "nn/rms_norm.hpp"

namespace lowbit {

namespace {

void add_in_place(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

HgrnModel::HgrnModel(const ModelFamily& family, const ModelConfig& cfg, const TensorLookup& lookup)
    : family_(family), cfg_(cfg) {
  cfg_.validate();
  const int64_t d = cfg_.n_embd;
  tok_embd_ = require_embedding(lookup, kTokenEmbd, cfg_.n_vocab, d, &embd_row_bytes_);
  layers_.resize(size_t(cfg_.n_layer));
  for (int64_t l = 0; l < cfg_.n_layer; ++l) load_layer(l, lookup);
  // The projections' weights in one mapping, in the order a decode step
  // reads them (core/buffer_arena.hpp); the head keeps its own.
  std::vector<AlignedBuffer*> bufs;
  for (Layer& L : layers_)
    for (BitProj& p : L.proj) p.w->weight_buffers(bufs);
  gather_into_one_buffer(bufs);
  if (auto lb = lookup(kHgrnLowerBounds)) load_lower_bounds(*lb);
  output_norm_ = load_float_vector(require_tensor(lookup, kOutputNorm), d);
  output_ = load_proj(lookup, std::string(kOutput), std::string(kHgrnOutputInNorm), cfg_.n_vocab, d);
}

HgrnModel::BitProj HgrnModel::load_proj(const TensorLookup& lookup, const std::string& weight, const std::string& norm,
                                        int64_t rows, int64_t cols) const {
  BitProj p;
  const TensorRef t = require_tensor(lookup, weight);
  LOWBIT_CHECK(t.rows == rows && t.cols == cols, "tensor '{}' is [{}, {}], expected [{}, {}] (rows, cols)", weight,
               t.rows, t.cols, rows, cols);
  LOWBIT_CHECK(t.format != nullptr, "tensor '{}' has a type lowbit does not know", weight);
  // Every HGRN-Bit projection is W1.58 x A8; a float tensor must hold
  // ternary x scale values (make_ternary_matrix checks).
  p.w = make_ternary_matrix(t);
  p.norm = load_float_vector(require_tensor(lookup, norm), cols);
  return p;
}

void HgrnModel::load_layer(int64_t l, const TensorLookup& lookup) {
  Layer& L = layers_[size_t(l)];
  for (const HgrnNormSpec& n : kHgrnNorms)
    L.norm[n.norm] = load_float_vector(require_tensor(lookup, block_tensor_name(l, n.gguf)), hgrn_dim(cfg_, n.dim));
  for (const HgrnProjSpec& p : kHgrnProjections)
    L.proj[p.proj] = load_proj(lookup, block_tensor_name(l, p.gguf), block_tensor_name(l, p.gguf, ".norm"),
                               hgrn_dim(cfg_, p.out), hgrn_dim(cfg_, p.in));
}

// lb = softmax over layers of lower_bounds [L, D], lb_l = cumsum(lb)_l - lb_0
// (HGRNBitModel.forward); layer 0 uses none.
void HgrnModel::load_lower_bounds(const TensorRef& t) {
  const int64_t L = cfg_.n_layer, D = cfg_.n_embd;
  LOWBIT_CHECK(t.rows == L && t.cols == D, "tensor '{}' is [{}, {}], expected [{}, {}] (layers, embedding)", t.name,
               t.rows, t.cols, L, D);
  LOWBIT_CHECK(cfg_.q_dim() == D, "tensor '{}': lower bounds need the recurrence width {} to equal the embedding {}",
               t.name, cfg_.q_dim(), D);
  const std::vector<float> raw = load_float_vector(t, L * D);
  for (float v : raw) LOWBIT_CHECK(std::isfinite(v), "tensor '{}' holds a value that is not finite", t.name);
  std::vector<float> lb(raw.size());
  hgrn_lower_bounds(raw.data(), L, D, lb.data());
  for (int64_t l = 0; l < L; ++l) layers_[size_t(l)].lower_bound.assign(lb.begin() + l * D, lb.begin() + (l + 1) * D);
}

const float* HgrnModel::lower_bound(int64_t l) const {
  const Layer& L = layers_[size_t(l)];
  return l == 0 || L.lower_bound.empty() ? nullptr : L.lower_bound.data();
}

std::unique_ptr<SequenceState> HgrnModel::new_state(int64_t n_ctx) const {
  return std::make_unique<HgrnState>(cfg_.n_layer, cfg_.q_dim(), n_ctx);
}

HgrnState& HgrnModel::state_of(SequenceState& s) {
  auto* h = dynamic_cast<HgrnState*>(&s);
  LOWBIT_CHECK(h != nullptr, "an HGRN-Bit model needs a recurrent state (made by its new_state)");
  return *h;
}

void HgrnModel::embed(const int32_t* tokens, int64_t T, float* x) const {
  for (int64_t t = 0; t < T; ++t) {
    LOWBIT_CHECK(tokens[t] >= 0 && tokens[t] < cfg_.n_vocab, "token id {} is outside the vocabulary of {}", tokens[t],
                 cfg_.n_vocab);
    tok_embd_.format->to_float(static_cast<const uint8_t*>(tok_embd_.data) + tokens[t] * embd_row_bytes_,
                               x + t * cfg_.n_embd, cfg_.n_embd);
  }
}

void HgrnModel::grow_scratch(int64_t T) {
  const int64_t d = cfg_.n_embd, e = cfg_.q_dim(), ff = cfg_.n_ff;
  auto grow = [](std::vector<float>& v, int64_t n) {
    if (v.size() < size_t(n)) v.resize(size_t(n));
  };
  grow(x_, T * d);
  grow(a_, T * d);
  grow(i_, T * e);
  grow(f_, T * e);
  grow(g_, T * e);
  grow(u_, T * 2 * ff);
  grow(tmp_, T * d);
  grow(norm_, T * std::max({d, e, ff}));
}

void HgrnModel::apply(const BitProj& p, const float* x, int64_t T, float* y) {
  const int64_t n = p.w->cols();
  rms_norm_forward(x, p.norm.data(), T, n, kHgrnProjEps, norm_.data(), nullptr);
  p.w->matmul(norm_.data(), T, y);
}

template <class Scan>
void HgrnModel::run_layers(float* x, int64_t T, const Scan& scan) {
  const int64_t d = cfg_.n_embd, e = cfg_.q_dim(), ff = cfg_.n_ff;
  float *a = a_.data(), *i = i_.data(), *f = f_.data(), *g = g_.data(), *u = u_.data(), *tmp = tmp_.data();
  for (int64_t l = 0; l < cfg_.n_layer; ++l) {
    const Layer& L = layers_[size_t(l)];
    rms_norm_forward(x, L.norm[kHgrnAttnNorm].data(), T, d, cfg_.rms_eps, a, nullptr);
    apply(L.proj[kHgrnI], a, T, i);
    apply(L.proj[kHgrnF], a, T, f);
    apply(L.proj[kHgrnG], a, T, g);
    hgrn_gates(i, f, lower_bound(l), T, e);
    scan(l, i, f, i);  // o (every h_t) replaces i
    swish_gated_rms_norm(g, L.norm[kHgrnSubNorm].data(), i, T, e, cfg_.rms_eps, g);
    apply(L.proj[kHgrnO], g, T, tmp);
    add_in_place(x, tmp, T * d);
    rms_norm_forward(x, L.norm[kHgrnFfnNorm].data(), T, d, cfg_.rms_eps, a, nullptr);
    apply(L.proj[kHgrnGateUp], a, T, u);
    swiglu_rows(u, T, ff, u);
    apply(L.proj[kHgrnDown], u, T, tmp);
    add_in_place(x, tmp, T * d);
  }
}

void HgrnModel::head(const float* x, int64_t n, float* logits) {
  rms_norm_forward(x, output_norm_.data(), n, cfg_.n_embd, cfg_.rms_eps, a_.data(), nullptr);
  apply(output_, a_.data(), n, logits);
}

void HgrnModel::forward(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* logits,
                        bool all_logits) {
  HgrnState& s = state_of(state);
  LOWBIT_CHECK(T > 0, "forward: no tokens");
  LOWBIT_CHECK(pos0 >= 0 && pos0 + T <= s.n_ctx(), "context is full: {} tokens at position {} exceed {}", T, pos0,
               s.n_ctx());
  s.rewind(pos0);
  // A recurrent model needs nothing of a chunk once it is through: long
  // prompts go in chunks, so scratch memory stays that of one chunk.
  for (int64_t c0 = 0; c0 < T; c0 += kHgrnChunk) {
    const int64_t n = std::min(kHgrnChunk, T - c0);
    const bool last = c0 + n == T;
    if (all_logits || last)
      forward_chunk(tokens + c0, n, s, all_logits ? logits + c0 * cfg_.n_vocab : logits, all_logits);
    else forward_chunk(tokens + c0, n, s, nullptr, false);
  }
}

void HgrnModel::forward_chunk(const int32_t* tokens, int64_t T, HgrnState& s, float* logits, bool all_logits) {
  const int64_t e = cfg_.q_dim(), pos0 = s.pos();
  grow_scratch(T);
  float* x = x_.data();
  embed(tokens, T, x);
  const std::vector<HgrnState::Slot> slots = s.snapshot_slots(T);
  run_layers(x, T, [&](int64_t l, const float* i, const float* f, float* o) {
    hgrn_scan(i, f, T, e, s.h(l), o);
    // h after position p - 1 is o's row p - 1 - pos0.
    for (const HgrnState::Slot& slot : slots) std::copy_n(o + (slot.pos - 1 - pos0) * e, e, slot.data + l * e);
  });
  s.advance(T);
  if (!logits) return;
  const int64_t first = all_logits ? 0 : T - 1;
  head(x + first * cfg_.n_embd, T - first, logits);
}

void HgrnModel::forward_batch(const int32_t* tokens, const int64_t* positions, SequenceState* const* states, int64_t n,
                              float* logits) {
  LOWBIT_CHECK(n > 0, "forward_batch: no rows");
  for (int64_t r = 0; r < n; ++r) {
    LOWBIT_CHECK(states[r] != nullptr, "forward_batch: row {} has no state", r);
    HgrnState& s = state_of(*states[r]);
    LOWBIT_CHECK(positions[r] >= 0 && positions[r] < s.n_ctx(), "context is full: position {} of row {} exceeds {}",
                 positions[r], r, s.n_ctx());
    s.rewind(positions[r]);
  }
  const int64_t e = cfg_.q_dim();
  grow_scratch(n);
  float* x = x_.data();
  embed(tokens, n, x);
  // One token per row, each against its own state.
  std::vector<std::vector<HgrnState::Slot>> slots(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) slots[size_t(r)] = state_of(*states[r]).snapshot_slots(1);
  run_layers(x, n, [&](int64_t l, const float* i, const float* f, float* o) {
    for (int64_t r = 0; r < n; ++r) {
      HgrnState& s = state_of(*states[r]);
      hgrn_scan(i + r * e, f + r * e, 1, e, s.h(l), o + r * e);
      for (const HgrnState::Slot& slot : slots[size_t(r)]) std::copy_n(o + r * e, e, slot.data + l * e);
    }
  });
  for (int64_t r = 0; r < n; ++r) state_of(*states[r]).advance(1);
  head(x, n, logits);
}

size_t HgrnModel::bytes_per_token() const {
  size_t b = output_.w->bytes() + size_t(embd_row_bytes_);
  for (const Layer& L : layers_)
    for (const BitProj& p : L.proj) b += p.w->bytes();
  return b;
}

std::string HgrnModel::summary() const {
  std::string s = fmt::format("{} ({}): {} layers, d={}, recurrence width={}, ff={}, vocab={}, lower bounds {}\n",
                              cfg_.arch, family_.about, cfg_.n_layer, cfg_.n_embd, cfg_.q_dim(), cfg_.n_ff,
                              cfg_.n_vocab, layers_.size() > 1 && !layers_[1].lower_bound.empty() ? "yes" : "no");
  if (!layers_.empty())
    s += fmt::format("projections: i/f/g {}, o {}, gate_up {}, down {} (each with its RMSNorm inside)\n",
                     layers_[0].proj[kHgrnI].w->describe(), layers_[0].proj[kHgrnO].w->describe(),
                     layers_[0].proj[kHgrnGateUp].w->describe(), layers_[0].proj[kHgrnDown].w->describe());
  s += fmt::format("output: {}; {:.1f} MiB read per token; state {:.1f} KiB per sequence", output_.w->describe(),
                   double(bytes_per_token()) / 1048576.0, double(cfg_.n_layer * cfg_.q_dim() * 4) / 1024.0);
  return s;
}

}  // namespace lowbit

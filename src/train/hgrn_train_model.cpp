#include "train/hgrn_train_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "formats/format.hpp"
#include "io/gguf_writer.hpp"
#include "model/decoder_block.hpp"
#include "model/gguf_model.hpp"
#include "nn/hgrn_recurrence.hpp"
#include "nn/rms_norm.hpp"
#include "quant/weight_quant.hpp"
#include "tokenizer/tokenizer.hpp"
#include "train/train_tensors.hpp"

namespace lowbit {

struct HgrnTrainModel::Acts {
  std::vector<float> x_in, a, inv1, iz, fz, gz, o, y, x_mid, m, inv2, u, s;
};

namespace {

void add_into(int64_t n, const float* src, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

void zero(Tensor& t) { std::fill(t.span<float>().begin(), t.span<float>().end(), 0.0f); }

}  // namespace

HgrnTrainModel::HgrnTrainModel(const HgrnTrainSpec& spec, Rng& rng) : spec_(spec) {
  ModelConfig& c = spec_.arch;
  c.validate();
  const int64_t V = c.n_vocab, D = c.n_embd, L = c.n_layer;
  LOWBIT_CHECK(c.q_dim() == D, "hgrn-bit train model: the recurrence width {} must equal n_embd {} (lower bounds)",
               c.q_dim(), D);
  LOWBIT_CHECK(spec_.proj_type == LinearType::BitLinear158 || spec_.proj_type == LinearType::Float,
               "hgrn-bit train model: projections must be bitlinear158 or float, not {}",
               linear_type_name(spec_.proj_type));
  Tensor embd = normal_tensor({V, D}, 0.02f, rng);
  if (c.tied_output) {
    head_ = std::make_unique<HgrnFusedLinear>(spec_.proj_type, std::move(embd), kHgrnProjEps);
  } else {
    tok_embd_ = std::move(embd);
    d_head_ = filled_tensor({V, D}, 0);
  }
  d_tok_embd_ = filled_tensor({V, D}, 0);
  lower_raw_ = filled_tensor({L, D}, 0), d_lower_raw_ = filled_tensor({L, D}, 0);
  output_norm_ = filled_tensor({D}, 1), d_output_norm_ = filled_tensor({D}, 0);
  const float out_std = 0.02f / std::sqrt(2.0f * float(L));  // o and down write into the residual stream
  layers_.resize(size_t(L));
  for (Layer& Ly : layers_) {
    for (const HgrnNormSpec& n : kHgrnNorms) {
      Ly.norm[n.norm] = filled_tensor({hgrn_dim(c, n.dim)}, 1);
      Ly.dnorm[n.norm] = filled_tensor({hgrn_dim(c, n.dim)}, 0);
    }
    for (const HgrnProjSpec& p : kHgrnProjections) {
      const Shape s{hgrn_dim(c, p.out), hgrn_dim(c, p.in)};
      const bool residual = p.proj == kHgrnO || p.proj == kHgrnDown;
      Ly.proj.emplace_back(spec_.proj_type, normal_tensor(s, residual ? out_std : 0.02f, rng), kHgrnProjEps);
      Ly.dproj[p.proj] = filled_tensor(s, 0);
    }
  }
  if (!c.tied_output)
    head_ = std::make_unique<HgrnFusedLinear>(spec_.proj_type, normal_tensor({V, D}, 0.02f, rng), kHgrnProjEps);
}

HgrnTrainModel::~HgrnTrainModel() = default;

std::vector<Param> HgrnTrainModel::params() {
  const bool tied = spec_.arch.tied_output;
  std::vector<Param> ps;
  ps.push_back({std::string(kTokenEmbd), tied ? &head_->linear().weight() : &tok_embd_, &d_tok_embd_, true});
  ps.push_back({std::string(kHgrnLowerBounds), &lower_raw_, &d_lower_raw_, false});
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& Ly = layers_[l];
    for (const HgrnNormSpec& n : kHgrnNorms)
      ps.push_back({block_tensor_name(int64_t(l), n.gguf), &Ly.norm[n.norm], &Ly.dnorm[n.norm], false});
    for (const HgrnProjSpec& p : kHgrnProjections) {
      HgrnFusedLinear& f = Ly.proj[p.proj];
      ps.push_back({block_tensor_name(int64_t(l), p.gguf), &f.linear().weight(), &Ly.dproj[p.proj], true});
      ps.push_back({block_tensor_name(int64_t(l), p.gguf, ".norm"), &f.norm(), &f.norm_grad(), false});
    }
  }
  ps.push_back({std::string(kOutputNorm), &output_norm_, &d_output_norm_, false});
  if (!tied) ps.push_back({std::string(kOutput), &head_->linear().weight(), &d_head_, true});
  ps.push_back({std::string(kHgrnOutputInNorm), &head_->norm(), &head_->norm_grad(), false});
  return ps;
}

int64_t HgrnTrainModel::n_params() const {
  int64_t n = 0;
  for (const Param& p : const_cast<HgrnTrainModel*>(this)->params()) n += p.value->numel();
  return n;
}

void HgrnTrainModel::zero_grads() {
  for (Param& p : params()) zero(*p.grad);
}

void HgrnTrainModel::requantize() {
  for (Layer& Ly : layers_)
    for (HgrnFusedLinear& p : Ly.proj) p.linear().requantize();
  head_->linear().requantize();
}

void HgrnTrainModel::set_blend(float b) {
  LOWBIT_CHECK(b >= 1.0f, "hgrn-bit: progressive blending is not supported (blend {})", b);
}

void HgrnTrainModel::set_act_bits(int bits) {
  LOWBIT_CHECK(bits == 8, "hgrn-bit: activations are int8 (FusedBitLinear); act_bits {} is not supported", bits);
}

const float* HgrnTrainModel::embedding() const {
  return spec_.arch.tied_output ? head_->linear().weight().data<float>() : tok_embd_.data<float>();
}

void HgrnTrainModel::block_forward(int64_t l, const float* lb, const float* x, float* out) {
  const ModelConfig& c = spec_.arch;
  const int64_t B = B_, T = T_, N = B * T, D = c.n_embd, E = c.q_dim(), F = c.n_ff;
  const float eps = c.rms_eps;
  Layer& Ly = layers_[size_t(l)];
  Acts& A = *acts_[size_t(l)];
  float* a = grown(A.a, N * D);
  rms_norm_forward(x, Ly.norm[kHgrnAttnNorm].data<float>(), N, D, eps, a, grown(A.inv1, N));
  float *iz = grown(A.iz, N * E), *fz = grown(A.fz, N * E), *gz = grown(A.gz, N * E);
  Ly.proj[kHgrnI].forward(a, N, iz);
  Ly.proj[kHgrnF].forward(a, N, fz);
  Ly.proj[kHgrnG].forward(a, N, gz);
  // The gates in place over copies (the backward needs the pre-activations),
  // then one scan per sequence from h = 0.
  float *o = grown(A.o, N * E), *y = grown(A.y, N * E);
  float *gi = grown(scratch_.gi, N * E), *gf = grown(scratch_.gf, N * E), *h = grown(scratch_.h, E);
  std::copy_n(iz, N * E, gi);
  std::copy_n(fz, N * E, gf);
  hgrn_gates(gi, gf, lb, N, E);
  for (int64_t b = 0; b < B; ++b) {
    std::fill_n(h, E, 0.0f);
    hgrn_scan(gi + b * T * E, gf + b * T * E, T, E, h, o + b * T * E);
  }
  swish_gated_rms_norm(gz, Ly.norm[kHgrnSubNorm].data<float>(), o, N, E, eps, y);
  float* x_mid = grown(A.x_mid, N * D);
  Ly.proj[kHgrnO].forward(y, N, x_mid);
  add_into(N * D, x, x_mid);
  float* m = grown(A.m, N * D);
  rms_norm_forward(x_mid, Ly.norm[kHgrnFfnNorm].data<float>(), N, D, eps, m, grown(A.inv2, N));
  float *u = grown(A.u, N * 2 * F), *s = grown(A.s, N * F);
  Ly.proj[kHgrnGateUp].forward(m, N, u);
  swiglu_rows(u, N, F, s);
  Ly.proj[kHgrnDown].forward(s, N, out);
  add_into(N * D, x_mid, out);
}

float HgrnTrainModel::forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) {
  const ModelConfig& c = spec_.arch;
  const int64_t N = B * T, D = c.n_embd, V = c.n_vocab, L = c.n_layer;
  LOWBIT_CHECK(B > 0 && T > 0, "hgrn-bit train model: empty batch");
  for (int64_t i = 0; i < N; ++i)
    LOWBIT_CHECK(inputs[i] >= 0 && inputs[i] < V && targets[i] >= 0 && targets[i] < V,
                 "token id out of the vocabulary of {}", V);
  B_ = B, T_ = T;
  inputs_.assign(inputs, inputs + N);
  targets_.assign(targets, targets + N);
  while (acts_.size() < size_t(L)) acts_.push_back(std::make_unique<Acts>());
  lb_.resize(size_t(L * D));
  hgrn_lower_bounds(lower_raw_.data<float>(), L, D, lb_.data());
  auto input_of = [&](int64_t l) { return l < L ? grown(acts_[size_t(l)]->x_in, N * D) : grown(x_out_, N * D); };
  const float* embd = embedding();
  float* x0 = input_of(0);
  for (int64_t i = 0; i < N; ++i) std::copy_n(embd + inputs[i] * D, D, x0 + i * D);
  for (int64_t l = 0; l < L; ++l) block_forward(l, l > 0 ? lb_.data() + l * D : nullptr, input_of(l), input_of(l + 1));
  rms_norm_forward(x_out_.data(), output_norm_.data<float>(), N, D, c.rms_eps, grown(xf_, N * D), grown(inv_f_, N));
  head_->forward(xf_.data(), N, grown(logits_, N * V));
  return float(cross_entropy_forward(logits_.data(), targets, N, V, ce_));
}

void HgrnTrainModel::block_backward(int64_t l, const float* lb, float* dx, float* dlb) {
  const ModelConfig& c = spec_.arch;
  const int64_t B = B_, T = T_, N = B * T, D = c.n_embd, E = c.q_dim(), F = c.n_ff;
  const float eps = c.rms_eps;
  Layer& Ly = layers_[size_t(l)];
  Acts& A = *acts_[size_t(l)];
  Scratch& S = scratch_;
  float *d1 = grown(S.d1, N * std::max(D, F)), *d2 = grown(S.d2, N * D);
  // out = x_mid + down(swiglu(gate_up(m))): dx reaches x_mid unchanged.
  Ly.proj[kHgrnDown].backward(A.s.data(), dx, N, d1, Ly.dproj[kHgrnDown].data<float>());
  float* du = grown(S.du, N * 2 * F);
  swiglu_rows_backward(A.u.data(), d1, N, F, du);
  Ly.proj[kHgrnGateUp].backward(A.m.data(), du, N, d2, Ly.dproj[kHgrnGateUp].data<float>());
  rms_norm_backward(A.x_mid.data(), Ly.norm[kHgrnFfnNorm].data<float>(), A.inv2.data(), d2, N, D, d2,
                    Ly.dnorm[kHgrnFfnNorm].data<float>());
  add_into(N * D, d2, dx);
  // x_mid = x_in + o_proj(y), y = RMSNorm(gz) * sub_norm * swish(o).
  float *dy = grown(S.dy, N * E), *dgz = grown(S.dgz, N * E), *dout = grown(S.dout, N * E);
  Ly.proj[kHgrnO].backward(A.y.data(), dx, N, dy, Ly.dproj[kHgrnO].data<float>());
  swish_gated_rms_norm_backward(A.gz.data(), Ly.norm[kHgrnSubNorm].data<float>(), A.o.data(), dy, N, E, eps, dgz,
                                Ly.dnorm[kHgrnSubNorm].data<float>(), dout);
  // The reverse-time scan, one sequence at a time (each started from h = 0).
  float *diz = grown(S.diz, N * E), *dfz = grown(S.dfz, N * E);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t at = b * T * E;
    hgrn_mixer_backward(A.iz.data() + at, A.fz.data() + at, lb, A.o.data() + at, nullptr, dout + at, T, E, diz + at,
                        dfz + at, dlb);
  }
  float* da = d1;
  Ly.proj[kHgrnI].backward(A.a.data(), diz, N, da, Ly.dproj[kHgrnI].data<float>());
  Ly.proj[kHgrnF].backward(A.a.data(), dfz, N, d2, Ly.dproj[kHgrnF].data<float>());
  add_into(N * D, d2, da);
  Ly.proj[kHgrnG].backward(A.a.data(), dgz, N, d2, Ly.dproj[kHgrnG].data<float>());
  add_into(N * D, d2, da);
  rms_norm_backward(A.x_in.data(), Ly.norm[kHgrnAttnNorm].data<float>(), A.inv1.data(), da, N, D, da,
                    Ly.dnorm[kHgrnAttnNorm].data<float>());
  add_into(N * D, da, dx);
}

void HgrnTrainModel::backward() {
  LOWBIT_CHECK(B_ > 0, "hgrn-bit train model: backward without a forward");
  const ModelConfig& c = spec_.arch;
  const int64_t N = B_ * T_, D = c.n_embd, V = c.n_vocab, L = c.n_layer;
  cross_entropy_backward(logits_.data(), targets_.data(), N, V, ce_);
  Scratch& S = scratch_;
  float *dxf = grown(S.dxf, N * D), *dx = grown(S.dx, N * D);
  Tensor& d_head = c.tied_output ? d_tok_embd_ : d_head_;
  head_->backward(xf_.data(), logits_.data(), N, dxf, d_head.data<float>());
  rms_norm_backward(x_out_.data(), output_norm_.data<float>(), inv_f_.data(), dxf, N, D, dx,
                    d_output_norm_.data<float>());
  float* dlb = grown(S.dlb, L * D);
  std::fill_n(dlb, L * D, 0.0f);  // the layers add into it
  for (int64_t l = L - 1; l >= 0; --l)
    block_backward(l, l > 0 ? lb_.data() + l * D : nullptr, dx, l > 0 ? dlb + l * D : nullptr);
  float* draw = grown(S.draw, L * D);
  hgrn_lower_bounds_backward(lower_raw_.data<float>(), dlb, L, D, draw);
  add_into(L * D, draw, d_lower_raw_.data<float>());
  float* de = d_tok_embd_.data<float>();
  for (int64_t i = 0; i < N; ++i) add_into(D, dx + i * D, de + inputs_[size_t(i)] * D);
  B_ = 0;  // the logits now hold gradients: one backward per forward
}

ModelConfig HgrnTrainModel::gguf_config() const {
  ModelConfig c = spec_.arch;
  c.arch = "hgrn-bit";
  c.ffn_act = FfnAct::Silu;
  c.sub_norms = false;
  c.tied_output = false;  // output.weight is always written (a tied head: the embedding's)
  return c;
}

void HgrnTrainModel::export_gguf(const Tokenizer& tok, const std::string& type, const std::string& path) {
  LOWBIT_CHECK(spec_.proj_type == LinearType::BitLinear158,
               "export: an hgrn-bit model runs ternary projections only (these are {})",
               linear_type_name(spec_.proj_type));
  const FormatTraits& packed = require_format_with(type, &FormatTraits::exportable, "export type");
  const FormatTraits &f32 = format_traits(Format::F32), &f16 = format_traits(Format::F16);
  const ModelConfig cfg = gguf_config();
  GgufWriter w;
  config_to_gguf(cfg, w.metadata());
  vocab_to_gguf(tok.to_gguf(), w.metadata());
  w.metadata().set("general.name", std::string("lowbit trained model"));
  std::map<std::string, const Tensor*> by_name;
  for (const Param& p : params()) by_name[p.name] = p.value;
  by_name[std::string(kOutput)] = &head_->linear().weight();
  std::deque<std::vector<std::byte>> bufs;  // stable addresses until write()
  for (const FamilyTensor& t : hgrn_tensors(cfg)) {
    const auto it = by_name.find(t.gguf);
    LOWBIT_CHECK(it != by_name.end(), "export: no parameter for tensor '{}'", t.gguf);
    const Tensor& v = *it->second;
    const FormatTraits* f = t.role == TensorRole::Embedding ? &f16 : &f32;
    std::vector<float> values(v.data<float>(), v.data<float>() + v.numel());
    if (t.role == TensorRole::Projection) {
      // The training forward's absmean ternary weights times their scale:
      // packed where the rows fill the format's blocks, else as floats the
      // loader checks to be ternary.
      values = absmean_ternary_values(v.data<float>(), v.numel());
      if (!packed.ternary || t.shape.back() % packed.block_elems == 0) f = &packed;
    }
    auto& buf = bufs.emplace_back(size_t(format_bytes(*f, v.numel())));
    f->from_float(values.data(), buf.data(), v.numel());
    w.add_tensor(t.gguf, *f, v.shape(), std::span<const std::byte>(buf.data(), buf.size()));
  }
  w.write(path);
}

}  // namespace lowbit

// `lowbit layers`: the S1-S5 linear layers next to a float Linear.
//   lowbit layers            docs/MATH.md's S1 pitfall experiment for every layer type
//   lowbit layers run ...    one layer on .npy weight and input files
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "io/npy.hpp"
#include "kernels/ternary_matmul.hpp"
#include "nn/attention.hpp"
#include "nn/linear_layer.hpp"
#include "nn/norms.hpp"
#include "quant/act_quant.hpp"
#include "quant/hadamard.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit::cli {
namespace {

constexpr int64_t kTokens = 16, kIn = 512, kOut = 256;
constexpr uint64_t kSeed = 0;

struct RunOptions {
  std::string type, weight, input, output;
  LinearOptions layer;
  bool no_layernorm = false;
  int threads = 0;
};

Tensor copy_of(const Tensor& t) {
  Tensor c(t.dtype(), t.shape());
  std::copy(t.span<float>().begin(), t.span<float>().end(), c.data<float>());
  return c;
}

// The popular implementation of docs/MATH.md's S1 pitfall, kept only to show the
// contrast: it takes beta and gamma *after* quantizing (beta = mean|W~| = 1,
// gamma = max|x~|, recomputed for the dequantization), so the output is
// W~ x~ with x~ in units of 1/Qb of the input range instead of the input's.
std::vector<float> buggy_bitlinear(const Tensor& w, const std::vector<float>& x) {
  const BinaryWeights b = binarize_weights(w.data<float>(), kOut, kIn, 1);
  double beta_after = 0;
  for (int8_t s : b.sign) beta_after += std::fabs(s);
  beta_after /= double(b.sign.size());
  std::vector<float> y(static_cast<size_t>(kTokens * kOut)), xn(static_cast<size_t>(kIn)), q(static_cast<size_t>(kIn));
  for (int64_t t = 0; t < kTokens; ++t) {
    layernorm_forward(x.data() + t * kIn, kIn, xn.data());
    quant_absmax_signed(xn.data(), kIn, 8, q.data());
    double gamma_after = 0;
    for (float v : q) gamma_after = std::max(gamma_after, double(std::fabs(v)));
    for (int64_t o = 0; o < kOut; ++o) {
      double acc = 0;
      for (int64_t i = 0; i < kIn; ++i) acc += b.sign[size_t(o * kIn + i)] * double(q[size_t(i)]);
      y[size_t(t * kOut + o)] = float(acc * beta_after * gamma_after / 128.0);
    }
  }
  return y;
}

struct Stats {
  double mean = 0, var = 0, rel_err = 0;
};

// mean and variance (unbiased, as torch.var) of y; ||y - ref|| / ||ref||.
Stats stats_of(const std::vector<float>& y, const std::vector<float>& ref) {
  Stats s;
  const double n = double(y.size());
  for (float v : y) s.mean += v;
  s.mean /= n;
  for (float v : y) s.var += (v - s.mean) * (v - s.mean);
  s.var /= n - 1;
  double num = 0, den = 0;
  for (size_t k = 0; k < y.size(); ++k) {
    num += double(y[k] - ref[k]) * (y[k] - ref[k]);
    den += double(ref[k]) * ref[k];
  }
  s.rel_err = std::sqrt(num / den);
  return s;
}

// Median time of `reps` calls of fn, in microseconds.
template <typename Fn>
double median_us(int reps, Fn&& fn) {
  std::vector<double> us;
  for (int r = 0; r < reps; ++r) {
    Timer timer;
    fn();
    us.push_back(timer.seconds() * 1e6);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

void print_row(const std::string& name, const Stats& s, const std::string& bytes, const std::string& us) {
  fmt::print("{:<38} {:>9.4f} {:>11.4f} {:>9.4f} {:>12} {:>9}\n", name, s.mean, s.var, s.rel_err, bytes, us);
}

// S2: multi-head attention (8 heads, 4 KV heads, rope, causal) with each
// layer type as its Q/K/V/O projections, against the same attention with
// float projections; without the residual, so the table shows the
// attention's own error.
void attention_table(const std::vector<float>& x) {
  constexpr int64_t kHeads = 8, kKvHeads = 4, kHeadDim = kIn / kHeads;
  Rng rng(kSeed + 1);
  const float bound = 1.0f / std::sqrt(float(kIn));
  auto weight = [&](int64_t rows) {
    Tensor t = Tensor::f32({rows, kIn});
    for (float& v : t.span<float>()) v = rng.uniform(-bound, bound);
    return t;
  };
  const Tensor wq = weight(kIn), wk = weight(kKvHeads * kHeadDim), wv = weight(kKvHeads * kHeadDim), wo = weight(kIn);
  AttentionOptions ao;
  ao.n_embd = kIn, ao.n_head = kHeads, ao.n_head_kv = kKvHeads, ao.head_dim = kHeadDim, ao.residual = false;
  auto build = [&](LinearType t) {
    return make_attention(ao, t, {}, copy_of(wq), copy_of(wk), copy_of(wv), copy_of(wo));
  };
  std::vector<float> y_float(x.size()), y(x.size());
  build(LinearType::Float)->forward(x.data(), kTokens, y_float.data());
  fmt::print("\nS2 attention: {} heads ({} KV heads) x {}, rope, causal, softmax in f32; Q/K/V/O of each type, vs float "
             "Q/K/V/O\n",
             kHeads, kKvHeads, kHeadDim);
  fmt::print("{:<38} {:>9} {:>11} {:>9} {:>12} {:>9}\n", "projections", "mean", "var", "rel.err", "weight bytes",
             "fwd us");
  for (LinearType t : {LinearType::Float, LinearType::BitLinear, LinearType::BitLinear158, LinearType::HBitLinear,
                       LinearType::Int8}) {
    auto a = build(t);
    const double us = median_us(5, [&] { a->forward(x.data(), kTokens, y.data()); });
    print_row(std::string(linear_type_name(t)), stats_of(y, y_float), fmt::format("{}", a->weight_bytes()),
              fmt::format("{:.0f}", us));
  }
  fmt::print("bitlinear normalizes each projection's input (LayerNorm, as BitNet v1 does) and hbitlinear's weights\n"
             "expect Hadamard-transformed inputs, so those rows differ from float attention by construction;\n"
             "bitlinear158 and int8 are the like-for-like rows.\n");
}

void run_experiment() {
  Rng rng(kSeed);
  std::vector<float> x(static_cast<size_t>(kTokens * kIn));
  for (float& v : x) v = rng.normal();
  // PyTorch's Linear init: U(-1/sqrt(in), 1/sqrt(in)).
  Tensor w = Tensor::f32({kOut, kIn});
  const float bound = 1.0f / std::sqrt(float(kIn));
  for (float& v : w.span<float>()) v = rng.uniform(-bound, bound);

  fmt::print("lowbit layers: x [{}, {}] ~ N(0, 1), W [{}, {}] ~ U(-1/sqrt({}), 1/sqrt({})), seed {}; same W for every type\n",
             kTokens, kIn, kOut, kIn, kIn, kIn, kSeed);
  fmt::print("{:<38} {:>9} {:>11} {:>9} {:>12} {:>9}\n", "type", "mean", "var", "rel.err", "weight bytes",
             "fwd us");

  struct Row {
    std::string name;
    LinearType type;
    LinearOptions opt;
  };
  auto opts = [](auto&& set) {
    LinearOptions o;
    set(o);
    return o;
  };
  const std::vector<Row> rows = {
      {"float", LinearType::Float, {}},
      {"bitlinear (S1, b=8)", LinearType::BitLinear, {}},
      {"bitlinear (S1, b=8, G=4)", LinearType::BitLinear, opts([](LinearOptions& o) { o.groups = 4; })},
      {"bitlinear (S1, b=4)", LinearType::BitLinear, opts([](LinearOptions& o) { o.bits = 4; })},
      {"bitlinear158 (S4, a8)", LinearType::BitLinear158, {}},
      {"bitlinear158 (S4, a8, subln)", LinearType::BitLinear158, opts([](LinearOptions& o) { o.subln = true; })},
      {"hbitlinear (S3, a8)", LinearType::HBitLinear, {}},
      {"hbitlinear (S3, a4)", LinearType::HBitLinear, opts([](LinearOptions& o) { o.act_bits = 4; })},
      {"int8 (S5, threshold 6)", LinearType::Int8, {}},
      {"int8 (S5, threshold 0)", LinearType::Int8, opts([](LinearOptions& o) { o.threshold = 0; })},
  };
  std::vector<float> y_float(static_cast<size_t>(kTokens * kOut)), y(y_float.size());
  make_linear(LinearType::Float, copy_of(w))->forward(x.data(), kTokens, y_float.data());
  // H-BitLinear's weight is trained on the transformed input, so its float
  // counterpart is W (H x), not W x.
  std::vector<float> xh = x, y_float_h(y_float.size());
  for (int64_t t = 0; t < kTokens; ++t) fwht(xh.data() + t * kIn, kIn);
  make_linear(LinearType::Float, copy_of(w))->forward(xh.data(), kTokens, y_float_h.data());
  for (const Row& r : rows) {
    auto layer = make_linear(r.type, copy_of(w), r.opt);
    const double us = median_us(7, [&] { layer->forward(x.data(), kTokens, y.data()); });
    const auto& ref = r.type == LinearType::HBitLinear ? y_float_h : y_float;
    print_row(r.name, stats_of(y, ref), fmt::format("{}", layer->weight_bytes()), fmt::format("{:.0f}", us));
  }
  {
    // S4 on the packed kernels (kernels/ternary_matmul): the same ternary
    // weights and int8 activations as the bitlinear158 row, 2 bits a weight.
    const TernaryWeights tw = ternarize_absmean(w.data<float>(), w.numel());
    const PackedTernary packed = pack_ternary(tw.q.data(), kOut, kIn, tw.scale);
    const double us = median_us(7, [&] { ternary_matmul(packed, x.data(), kTokens, y.data()); });
    print_row(fmt::format("bitlinear158 (S4, packed, {})", isa_name(kernels().isa)), stats_of(y, y_float),
              fmt::format("{}", packed.code_bytes() + packed.row_scale.size() * 4), fmt::format("{:.0f}", us));
  }
  print_row("bitlinear (BUGGY: stats after quant)", stats_of(buggy_bitlinear(w, x), y_float), "-", "-");
  attention_table(x);
  fmt::print(
      "rel.err = ||y - y_float|| / ||y_float||; for hbitlinear y_float = W (H x) (its weight is trained on H x).\n"
      "The reported buggy layer (docs/MATH.md) gave mean -0.57, var 1150 where float gave 0.01, 0.33; the BUGGY\n"
      "row is a small local illustration of the same mistake. The S1 rows take their statistics before quantizing\n"
      "and track the float layer's scale.\n");
}

void check_finite(const Tensor& t, const std::string& file) {
  const auto v = t.span<float>();
  const auto bad = std::find_if(v.begin(), v.end(), [](float f) { return !std::isfinite(f); });
  LOWBIT_CHECK(bad == v.end(), "{}: element {} is {}; the layers need finite values", file, bad - v.begin(), *bad);
}

void run_layer(const RunOptions& o) {
  LinearOptions opt = o.layer;
  opt.layernorm = !o.no_layernorm;
  const LinearType type = parse_linear_type(o.type);
  Tensor w = npy_load(o.weight);
  const Tensor x = npy_load(o.input);
  LOWBIT_CHECK(w.shape().rank == 2, "{}: the weight must be 2-D [out, in], got shape {}", o.weight, w.shape().str());
  LOWBIT_CHECK(x.shape().rank == 2 && x.shape()[1] == w.shape()[1],
               "{}: the input must be [tokens, {}] to match the weight {} of shape {}, got shape {}", o.input,
               w.shape()[1], o.weight, w.shape().str(), x.shape().str());
  check_finite(w, o.weight);
  check_finite(x, o.input);
  const int64_t tokens = x.shape()[0], out = w.shape()[0];
  LOWBIT_CHECK(type != LinearType::BitLinear || out % opt.groups == 0,
               "{}: --groups {} does not divide the {} output rows of shape {}", o.weight, opt.groups, out,
               w.shape().str());
  auto layer = make_linear(type, std::move(w), opt);
  Tensor y = Tensor::f32({tokens, out});
  layer->forward(x.data<float>(), tokens, y.data<float>());
  npy_save(o.output, y);
}

const CommandRegistrar reg(90, "layers", "the S1-S5 quantized linear layers next to a float layer", [](CLI::App& sub) {
  auto o = std::make_shared<RunOptions>();
  add_threads_option(sub, o->threads);
  sub.require_subcommand(0, 1);
  CLI::App* run = sub.add_subcommand("run", "run one layer: Y [tokens, out] = layer(W [out, in], X [tokens, in])");
  run->add_option("--type", o->type, "float, bitlinear, bitlinear158, hbitlinear or int8")->required();
  run->add_option("--weight", o->weight, "W [out, in], f32 .npy")->required();
  run->add_option("--input", o->input, "X [tokens, in], f32 .npy")->required();
  run->add_option("-o,--output", o->output, "Y [tokens, out], f32 .npy")->required();
  run->add_option("--groups", o->layer.groups, "bitlinear: groups of output rows")->check(at_least(1));
  run->add_option("--bits", o->layer.bits, "bitlinear: activation bits")->check(in_range(2, 16));
  run->add_option("--act-bits", o->layer.act_bits, "hbitlinear: 8 (absmax) or 4 (absmean)")
      ->check(CLI::IsMember({4, 8}));
  run->add_option("--threshold", o->layer.threshold, "int8: outlier threshold, 0 = off")->check(at_least(0));
  run->add_flag("--nonneg", o->layer.nonneg, "bitlinear: the eta = min x variant");
  run->add_flag("--no-layernorm", o->no_layernorm, "bitlinear: skip the LayerNorm in front");
  run->add_flag("--subln", o->layer.subln, "bitlinear158, hbitlinear: RMSNorm in front");
  add_threads_option(*run, o->threads);
  run->callback([o] {
    apply_threads(o->threads);
    run_layer(*o);
  });
  sub.callback([o, run] {
    if (run->parsed()) return;
    apply_threads(o->threads);
    run_experiment();
  });
});

}  // namespace
}  // namespace lowbit::cli

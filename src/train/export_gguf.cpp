#include "train/export_gguf.hpp"

#include <cmath>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "io/gguf_writer.hpp"
#include "model/gguf_model.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit {

void export_gguf(TrainModel& model, const Tokenizer& tok, const std::string& type, const std::string& path) {
  const FormatTraits* packed = &require_format_with(type, &FormatTraits::exportable, "export type");
  const bool ternary = packed->ternary;
  GgufWriter w;
  ModelConfig cfg = model.spec().arch;
  config_to_gguf(cfg, w.metadata());
  vocab_to_gguf(tok.to_gguf(), w.metadata());
  w.metadata().set("general.name", std::string("lowbit trained model"));

  std::deque<std::vector<std::byte>> bufs;  // stable addresses until write()
  auto add = [&](const std::string& name, const Tensor& t, const FormatTraits& f, const float* values) {
    auto& buf = bufs.emplace_back(size_t(format_bytes(f, t.numel())));
    f.from_float(values ? values : t.data<float>(), buf.data(), t.numel());
    w.add_tensor(name, f, t.shape(), std::span<const std::byte>(buf.data(), buf.size()));
  };
  const FormatTraits& f32 = format_traits(Format::F32);
  for (Param& p : model.params()) {
    const Tensor& t = *p.value;
    if (p.name == "token_embd.weight") {
      add(p.name, t, format_traits(Format::F16), nullptr);
      continue;
    }
    if (t.shape().rank == 1) {
      add(p.name, t, f32, nullptr);
      continue;
    }
    // A projection: "blk.<l>.<proj>.weight".
    const size_t dot1 = p.name.find('.', 4), dot2 = p.name.rfind('.');
    const int64_t layer = std::stoll(p.name.substr(4, dot1 - 4));
    const std::string proj = p.name.substr(dot1 + 1, dot2 - dot1 - 1);
    int pi = 0;
    while (pi < kProjCount && proj != proj_gguf_name(pi)) ++pi;
    const ProjSpec& spec = model.spec().proj[size_t(layer)][size_t(pi)];
    const int64_t cols = t.shape()[1];
    if (spec.type == LinearType::BitLinear158 && ternary && !spec.opt.subln && cols % packed->block_elems == 0) {
      // The training forward's absmean ternary weights, times their scale.
      const TernaryWeights q = ternarize_absmean(t.data<float>(), t.numel());
      std::vector<float> v(size_t(t.numel()));
      for (size_t i = 0; i < v.size(); ++i) v[i] = float(q.q[i]) * q.scale;
      add(p.name, t, *packed, v.data());
      continue;
    }
    add(p.name, t, f32, nullptr);
    const std::string k = fmt::format("lowbit.blk.{}.{}.", layer, proj);
    w.metadata().set(k + "type", std::string(linear_type_name(spec.type)));
    w.metadata().set(k + "bits", int32_t(spec.opt.bits));
    w.metadata().set(k + "act_bits", int32_t(spec.opt.act_bits));
    w.metadata().set(k + "groups", int32_t(spec.opt.groups));
    w.metadata().set(k + "nonneg", spec.opt.nonneg);
    w.metadata().set(k + "subln", spec.opt.subln);
    w.metadata().set(k + "threshold", spec.opt.threshold);
  }
  w.write(path);
}

}  // namespace lowbit

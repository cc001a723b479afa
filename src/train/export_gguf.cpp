#include "train/export_gguf.hpp"

#include <cmath>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "io/gguf_writer.hpp"
#include "model/decoder_block.hpp"
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
    const std::optional<Proj> proj = projection_of(p.name);
    const std::optional<int64_t> layer = layer_of(p.name);
    LOWBIT_CHECK(proj && layer, "export: parameter '{}' is neither a vector nor a projection", p.name);
    const ProjSpec& spec = model.spec().proj[size_t(*layer)][size_t(*proj)];
    const int64_t cols = t.shape()[1];
    if (spec.type == LinearType::BitLinear158 && ternary && !spec.opt.subln && cols % packed->block_elems == 0) {
      // The training forward's absmean ternary weights, times their scale.
      const std::vector<float> v = absmean_ternary_values(t.data<float>(), t.numel());
      add(p.name, t, *packed, v.data());
      continue;
    }
    add(p.name, t, f32, nullptr);
    layer_type_to_gguf(w.metadata(), block_tensor_name(*layer, proj_gguf_name(*proj), ""), spec.type, spec.opt);
  }
  w.write(path);
}

}  // namespace lowbit

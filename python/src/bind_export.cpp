// lowbit.export: writes a GGUF that `lowbit generate` runs from tensors
// handed over by Python, with the conventions of train/export_gguf.cpp: the
// 2B4T architecture ("bitnet-b1.58") and its tensor names, embedding f16,
// norms f32, plain b1.58 projections absmean-quantized exactly as in the
// training forward and stored ternary (tq2_0 / tq1_0 / i2_s); any other
// projection stored as its f32 weight with lowbit.blk.<l>.<proj>.* keys
// naming the layer type and options.
#include <pybind11/stl.h>

#include <deque>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "core/error.hpp"
#include "formats/format.hpp"
#include "io/gguf_writer.hpp"
#include "model/gguf_model.hpp"
#include "nn/linear_layer.hpp"
#include "quant/weight_quant.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::py {

namespace {

// One tensor to write: its GGUF name, f32 values, and for a projection the
// lowbit.nn layer type ("" for embeddings and norms) and options.
struct ExportTensor {
  std::string name;
  F32 values;
  std::string layer;
  LinearOptions options;
};

ModelConfig config_from(const pb::dict& c) {
  ModelConfig cfg;
  auto get = [&](const char* k) -> int64_t {
    if (!c.contains(k)) throw pb::value_error(std::string("export: config lacks '") + k + "'");
    return c[k].cast<int64_t>();
  };
  cfg.n_vocab = get("n_vocab");
  cfg.n_embd = get("n_embd");
  cfg.n_layer = get("n_layer");
  cfg.n_head = get("n_head");
  cfg.n_head_kv = get("n_head_kv");
  cfg.head_dim = get("head_dim");
  cfg.n_ff = get("n_ff");
  if (c.contains("n_ctx")) cfg.n_ctx_train = c["n_ctx"].cast<int64_t>();
  if (c.contains("rope_theta")) cfg.rope_theta = c["rope_theta"].cast<float>();
  if (c.contains("rms_eps")) cfg.rms_eps = c["rms_eps"].cast<float>();
  cfg.validate();
  return cfg;
}

// "blk.<l>.<proj>.weight" -> "lowbit.blk.<l>.<proj>."
// "blk.0.attn_q.weight" -> "blk.0.attn_q", the name the layer-type keys use.
std::string projection_tensor(const std::string& name) {
  LOWBIT_CHECK(name.rfind("blk.", 0) == 0 && name.size() > 7 && name.ends_with(".weight"),
               "export: projection tensor '{}' is not named blk.<layer>.<proj>.weight", name);
  return name.substr(0, name.size() - 7);
}

void export_gguf(const std::string& path, const pb::dict& config, const std::vector<ExportTensor>& tensors,
                 const std::string& type) {
  const FormatTraits* packed = find_format(type);
  LOWBIT_CHECK(packed && (packed->format == Format::TQ2_0 || packed->format == Format::TQ1_0 ||
                          packed->format == Format::I2_S || packed->format == Format::F32),
               "export type '{}' must be tq2_0, tq1_0, i2_s or f32", type);
  const ModelConfig cfg = config_from(config);
  const Tokenizer tok = Tokenizer::byte_level();
  LOWBIT_CHECK(cfg.n_vocab == tok.n_vocab(), "export: n_vocab is {}, the byte-level tokenizer has {} tokens",
               cfg.n_vocab, tok.n_vocab());

  GgufWriter w;
  config_to_gguf(cfg, w.metadata());
  vocab_to_gguf(tok.to_gguf(), w.metadata());
  w.metadata().set("general.name", std::string("lowbit model exported from PyTorch"));

  std::deque<std::vector<std::byte>> bufs;  // stable addresses until write()
  auto add = [&](const ExportTensor& t, const FormatTraits& f, const float* values) {
    Shape shape = t.values.ndim() == 1 ? Shape{int64_t(t.values.shape(0))}
                                       : Shape{int64_t(t.values.shape(0)), int64_t(t.values.shape(1))};
    auto& buf = bufs.emplace_back(size_t(format_bytes(f, shape.numel())));
    f.from_float(values ? values : t.values.data(), buf.data(), shape.numel());
    w.add_tensor(t.name, f, shape, std::span<const std::byte>(buf.data(), buf.size()));
  };
  const FormatTraits& f32 = format_traits(Format::F32);
  for (const ExportTensor& t : tensors) {
    LOWBIT_CHECK(t.values.ndim() == 1 || t.values.ndim() == 2, "export: tensor '{}' has {} dimensions", t.name,
                 t.values.ndim());
    if (t.name == "token_embd.weight") {
      add(t, format_traits(Format::F16), nullptr);
      continue;
    }
    if (t.layer.empty()) {
      add(t, f32, nullptr);
      continue;
    }
    const LinearType lt = parse_linear_type(t.layer);
    const int64_t cols = int64_t(t.values.shape(1)), n = int64_t(t.values.size());
    if (lt == LinearType::BitLinear158 && packed->format != Format::F32 && !t.options.subln &&
        cols % packed->block_elems == 0) {
      // The training forward's absmean ternary weights, times their scale.
      const std::vector<float> v = absmean_ternary_values(t.values.data(), n);
      add(t, *packed, v.data());
      continue;
    }
    add(t, f32, nullptr);
    layer_type_to_gguf(w.metadata(), projection_tensor(t.name), lt, t.options);
  }
  pb::gil_scoped_release nogil;
  w.write(path);
}

}  // namespace

void bind_export(pb::module_& m) {
  m.def(
      "export_gguf",
      [](const std::string& path, const pb::dict& config, const pb::list& items, const std::string& type) {
        std::vector<ExportTensor> tensors;
        for (const pb::handle& h : items) {
          const auto tup = h.cast<pb::tuple>();
          if (tup.size() != 4) throw pb::value_error("export: each tensor is (name, array, layer, options)");
          ExportTensor t{tup[0].cast<std::string>(), tup[1].cast<F32>(), tup[2].cast<std::string>(), {}};
          if (!tup[3].is_none()) t.options = tup[3].cast<LinearOptions>();
          tensors.push_back(std::move(t));
        }
        export_gguf(path, config, tensors, type);
      },
      pb::arg("path"), pb::arg("config"), pb::arg("tensors"), pb::arg("type") = "i2_s",
      "Writes a bitnet-b1.58 GGUF from (name, float32 array, layer type or '', LinearOptions or None) tuples");
  // The exported models' tokenizer, for preparing their training data.
  m.def("byte_tokenizer_vocab_size", [] { return Tokenizer::byte_level().n_vocab(); });
  m.def(
      "byte_tokenize",
      [](const std::string& text, bool add_bos) { return Tokenizer::byte_level().encode(text, add_bos, false); },
      pb::arg("text"), pb::arg("add_bos") = false);
}

}  // namespace lowbit::py

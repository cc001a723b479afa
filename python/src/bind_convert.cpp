// lowbit.convert: a Hugging Face BitNet b1.58 checkpoint directory
// (config.json, model.safetensors, tokenizer.json) to GGUF, as `lowbit
// convert` does it. The one place of the binding that calls the HF
// converter (io/hf_convert.hpp), so that its rewrite is adapted here only.
#include <filesystem>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "core/error.hpp"
#include "formats/format.hpp"
#include "io/file_util.hpp"
#include "io/hf_convert.hpp"
#include "model/gguf_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::py {

namespace {

void convert(const std::string& dir, const std::string& out, const std::string& type, const std::string& arch) {
  const FormatTraits* f = find_format(type);
  LOWBIT_CHECK(f && (f->format == Format::TQ1_0 || f->format == Format::TQ2_0 || f->format == Format::I2_S ||
                     f->format == Format::F16),
               "convert: type {}: expected tq2_0, tq1_0, i2_s or f16", type);
  HfConvertOptions opt;
  opt.ternary_format = f;
  opt.arch = !arch.empty() ? arch : "bitnet-b1.58";
  LOWBIT_CHECK(f->format != Format::I2_S || opt.arch == "bitnet-b1.58",
               "convert: type i2_s needs arch bitnet-b1.58 (only bitnet.cpp reads I2_S)");
  if (f->format != Format::F16)
    opt.pack_ternary = [f](const HfTernaryWeight& w, std::span<std::byte> bytes) {
      std::vector<float> v(w.values.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = float(w.values[i]) * w.scale;
      f->from_float(v.data(), bytes.data(), int64_t(v.size()));
    };
  const std::string tok_json = dir + "/tokenizer.json";
  LOWBIT_CHECK(std::filesystem::exists(tok_json), "{}: no tokenizer.json", dir);
  Tokenizer tok = Tokenizer::load_hf_json(tok_json);
  if (std::filesystem::exists(dir + "/tokenizer_config.json"))
    tok.apply_hf_config(read_file(dir + "/tokenizer_config.json"), dir + "/tokenizer_config.json");
  opt.add_metadata = [&tok, &opt](GgufMetadata& m) {
    vocab_to_gguf(tok.to_gguf(), m);
    // 2B4T gates with relu^2; llama.cpp's `bitnet` graph assumes SiLU.
    if (opt.arch == "bitnet") m.set("lowbit.ffn_act", std::string("relu2"));
  };
  hf_convert_bitnet(dir, out, opt);
}

}  // namespace

void bind_convert(pb::module_& m) {
  m.def(
      "convert",
      [](const std::string& dir, const std::string& out, const std::string& type, const std::string& arch) {
        pb::gil_scoped_release nogil;
        convert(dir, out, type, arch);
      },
      pb::arg("hf_dir"), pb::arg("out"), pb::arg("type") = "i2_s", pb::arg("arch") = "",
      "Converts a Hugging Face BitNet b1.58 checkpoint directory to GGUF (what `lowbit convert` does)");
  // The byte-level tokenizer as a tokenizer.json, for writing small
  // checkpoints in the HF layout (tests, examples).
  m.def("byte_tokenizer_hf_json", [] { return Tokenizer::byte_level().to_hf_json(); });
}

}  // namespace lowbit::py

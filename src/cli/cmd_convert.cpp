// `lowbit convert HF_DIR -o OUT.gguf [--type tq2_0|tq1_0|i2_s|f16]`: the
// Hugging Face BitNet b1.58 checkpoint (config.json, model.safetensors with
// packed ternary weights, tokenizer.json) to a GGUF that llama.cpp
// (`bitnet`, tq1_0/tq2_0) or bitnet.cpp (`bitnet-b1.58`, i2_s) reads.
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/progress_bar.hpp"
#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/hf_convert.hpp"
#include "model/gguf_model.hpp"

namespace lowbit::cli {
namespace {

struct ConvertArgs {
  std::string dir, out, type = "i2_s", arch;
};

void run(const ConvertArgs& a) {
  const FormatTraits* f = find_format(a.type);
  LOWBIT_CHECK(f && (f->format == Format::TQ1_0 || f->format == Format::TQ2_0 || f->format == Format::I2_S ||
                     f->format == Format::F16),
               "--type {}: expected tq2_0, tq1_0, i2_s or f16", a.type);
  HfConvertOptions opt;
  opt.ternary_format = f;
  // I2_S (type 36) is read as such only in bitnet.cpp's architecture.
  opt.arch = !a.arch.empty() ? a.arch : "bitnet-b1.58";
  LOWBIT_CHECK(f->format != Format::I2_S || opt.arch == "bitnet-b1.58",
               "--type i2_s needs --arch bitnet-b1.58 (only bitnet.cpp reads I2_S)");
  if (f->format != Format::F16)
    opt.pack_ternary = [f](const HfTernaryWeight& w, std::span<std::byte> out) {
      std::vector<float> v(w.values.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = float(w.values[i]) * w.scale;
      f->from_float(v.data(), out.data(), int64_t(v.size()));
    };
  const std::string tok_json = a.dir + "/tokenizer.json";
  LOWBIT_CHECK(std::filesystem::exists(tok_json), "{}: no tokenizer.json", a.dir);
  Tokenizer tok = Tokenizer::load_hf_json(tok_json);
  if (std::filesystem::exists(a.dir + "/tokenizer_config.json"))
    tok.apply_hf_config(read_file(a.dir + "/tokenizer_config.json"), a.dir + "/tokenizer_config.json");
  opt.add_metadata = [&tok, &opt](GgufMetadata& m) {
    vocab_to_gguf(tok.to_gguf(), m);
    // 2B4T gates with relu^2; llama.cpp's `bitnet` graph assumes SiLU.
    if (opt.arch == "bitnet") m.set("lowbit.ffn_act", std::string("relu2"));
  };
  ProgressBar bar("convert");
  opt.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
  hf_convert_bitnet(a.dir, a.out, opt);
  fmt::print(stderr, "lowbit: wrote {} ({}, {})\n", a.out, opt.arch, a.type);
}

const CommandRegistrar reg(70, "convert", "convert a Hugging Face BitNet b1.58 checkpoint to GGUF", [](CLI::App& sub) {
  auto a = std::make_shared<ConvertArgs>();
  sub.add_option("hf_dir", a->dir, "directory with config.json, model.safetensors, tokenizer.json")->required();
  sub.add_option("-o,--output", a->out, "output GGUF")->required();
  sub.add_option("--type", a->type, "projection type: i2_s (default), tq2_0, tq1_0, f16");
  sub.add_option("--arch", a->arch, "GGUF architecture: bitnet-b1.58 (default) or bitnet");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

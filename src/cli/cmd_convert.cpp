// `lowbit convert HF_DIR -o OUT.gguf [--type i2_s|tq2_0|tq1_0|f16|f32]`: a
// Hugging Face checkpoint of any family lowbit knows (model/hf_convert.hpp)
// to a GGUF that llama.cpp (tq1_0/tq2_0/f16) or bitnet.cpp (i2_s) reads.
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/console.hpp"
#include "cli/progress_bar.hpp"
#include "core/error.hpp"
#include "model/hf_convert.hpp"

namespace lowbit::cli {
namespace {

struct ConvertArgs {
  std::string dir, out, type, arch;
};

void run(const ConvertArgs& a) {
  LOWBIT_CHECK(std::filesystem::exists(a.dir), "{}: no such directory", a.dir);
  LOWBIT_CHECK(std::filesystem::is_directory(a.dir), "{}: not a directory (convert takes a Hugging Face checkpoint's)",
               a.dir);
  ConvertOptions opt;
  if (!a.type.empty()) {
    opt.type = &require_format_with(a.type, &FormatTraits::exportable, "--type");
  }
  opt.arch = a.arch;
  ProgressBar bar("convert");
  opt.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
  const ConvertResult r = convert_hf(a.dir, a.out, opt);
  log_info("lowbit: wrote {} ({} checkpoint -> architecture {}, projections {})", a.out, r.source->hf_classes.front(),
           r.arch, r.type->name);
}

const CommandRegistrar reg(70, "convert", "convert a Hugging Face checkpoint (BitNet, 1bitLLM, LLaMA) to GGUF",
                           [](CLI::App& sub) {
  auto a = std::make_shared<ConvertArgs>();
  sub.add_option("hf_dir", a->dir, "directory with config.json, model.safetensors (or shards), tokenizer.json")
      ->required();
  sub.add_option("-o,--output", a->out, "output GGUF")->required();
  sub.add_option("--type", a->type,
                 "projection type: i2_s (default for ternary checkpoints; bitnet.cpp), tq2_0, tq1_0 (llama.cpp), "
                 "f16 (default for float checkpoints), f32");
  sub.add_option("--arch", a->arch, "check the GGUF architecture written (it follows from the checkpoint and --type)");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

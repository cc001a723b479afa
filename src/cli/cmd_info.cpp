// `lowbit info MODEL` (or -m MODEL): a GGUF or safetensors file's header, metadata, tensor
// table and totals. `lowbit info --system`: CPU features and the kernels
// lowbit will use.
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "cli/command.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "io/gguf_describe.hpp"
#include "io/mapped_file.hpp"
#include "kernels/a8_kernels.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/f16_matmul.hpp"
#include "kernels/sgemm.hpp"
#include "kernels/ternary_lut.hpp"
#include "model/family_describe.hpp"

namespace lowbit::cli {
namespace {

struct InfoOptions {
  bool system = false;
  std::string model, model_flag;
};

bool is_gguf_file(const std::string& path) {
  const MappedFile m = MappedFile::open(path);
  return m.size() >= 4 && std::string_view(reinterpret_cast<const char*>(m.data()), 4) == "GGUF";
}

// The ISA each kernel family runs: chosen_isa() (CPUID or LOWBIT_ISA), or
// that family's fallback where it has no kernel for it.
void print_kernels() {
  const char* env = std::getenv("LOWBIT_ISA");
  fmt::print("ISA:       {} ({})\n", isa_name(chosen_isa()), env && *env ? "LOWBIT_ISA" : "CPUID");
  std::string supported;
  for (Isa isa : all_isas())
    if (isa_supported(isa)) supported += std::string(supported.empty() ? "" : ", ") + isa_name(isa);
  fmt::print("supported: {}\n", supported);
  fmt::print("kernels:\n");
  auto row = [](const char* family, Isa isa) { fmt::print("  {:<22} {}\n", family, isa_name(isa)); };
  row("ternary GEMV/GEMM", kernels().isa);
  row("activation quantizer", kernels().isa);
  row("fwht (H-BitLinear)", kernels().isa);
  row("a8 table", a8_kernels().isa);
  row("int8 (LLM.int8)", a8_kernels().isa);
  row("binary (BitLinear v1)", a8_kernels().isa);
  row("ternary LUT", ternary_lut_kernels().isa);
  row("sgemm", sgemm_isa());
  row("f16 head", f16_matmul_isa());
}

void print_system() {
  const CpuFeatures& f = cpu_features();
  fmt::print("cpu:       {} ({})\n", f.brand.empty() ? "unknown" : f.brand, f.vendor);
  fmt::print("threads:   {} hardware\n", std::thread::hardware_concurrency());
  fmt::print("features:  {}\n", f.summary());
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  fmt::print("AVX2:      {}\n", yn(f.has_avx2()));
  fmt::print("AVX-512:   F {} BW {} VL {} VNNI {}\n", yn(f.avx512f), yn(f.avx512bw), yn(f.avx512vl),
             yn(f.avx512vnni));
  fmt::print("AVX-VNNI:  {}\n", yn(f.avx_vnni));
  fmt::print("NEON:      {} (dotprod {})\n", yn(f.neon), yn(f.dotprod));
  print_kernels();
}

const CommandRegistrar reg(40, "info", "show a model file's contents, or this machine (--system)", [](CLI::App& sub) {
  auto opt = std::make_shared<InfoOptions>();
  sub.add_flag("--system", opt->system, "print CPU features and the kernels lowbit picks");
  sub.add_option("model", opt->model, "model file (GGUF or safetensors)");
  sub.add_option("-m,--model", opt->model_flag, "model file (GGUF or safetensors), as the positional MODEL");
  sub.callback([opt] {
    LOWBIT_CHECK(opt->model.empty() || opt->model_flag.empty(), "give the model once: -m {} or {}", opt->model_flag,
                 opt->model);
    if (!opt->model_flag.empty()) opt->model = opt->model_flag;
    if (opt->system || opt->model.empty()) {
      print_system();
      return;
    }
    fmt::print("{}", describe_model_file(opt->model));
    if (is_gguf_file(opt->model)) fmt::print("{}", describe_family(GgufFile::open(opt->model)));
  });
});

}  // namespace
}  // namespace lowbit::cli

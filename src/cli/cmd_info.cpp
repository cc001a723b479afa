// `lowbit info MODEL`: a GGUF or safetensors file's header, metadata, tensor
// table and totals. `lowbit info --system`: CPU features and the kernels
// lowbit will use.
#include <fmt/format.h>

#include <thread>

#include "cli/command.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "io/gguf_describe.hpp"
#include "io/mapped_file.hpp"
#include "model/family_describe.hpp"

namespace lowbit::cli {
namespace {

struct InfoOptions {
  bool system = false;
  std::string model;
};

bool is_gguf_file(const std::string& path) {
  const MappedFile m = MappedFile::open(path);
  return m.size() >= 4 && std::string_view(reinterpret_cast<const char*>(m.data()), 4) == "GGUF";
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
}

const CommandRegistrar reg(40, "info", "show a model file's contents, or this machine (--system)", [](CLI::App& sub) {
  auto opt = std::make_shared<InfoOptions>();
  sub.add_flag("--system", opt->system, "print CPU features and the kernels lowbit picks");
  sub.add_option("model", opt->model, "model file (GGUF or safetensors)");
  sub.callback([opt] {
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

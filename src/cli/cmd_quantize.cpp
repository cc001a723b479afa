// `lowbit quantize IN.gguf OUT.gguf TYPE` (or -m IN.gguf OUT.gguf TYPE): rewrites the seven projections of
// every block (model/decoder_block.hpp names them) in TYPE (tq2_0, tq1_0,
// i2_s, f16, f32) and copies everything else. Float projections become
// ternary by BitNet b1.58's absmean rule, unless they already hold ternary
// values times one scale (kept exactly). Any family: a `llama` file with
// ternary projections is what bitnet.cpp makes of Llama3-8B-1.58.
#include <cmath>
#include <deque>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/command.hpp"
#include "cli/console.hpp"
#include "cli/progress_bar.hpp"
#include "core/error.hpp"
#include "io/gguf_file.hpp"
#include "io/gguf_writer.hpp"
#include "model/decoder_block.hpp"
#include "model/gguf_model.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit::cli {
namespace {

// Ternary values times a scale: kept if w already is one (every nonzero
// magnitude equal), else absmean-quantized.
std::vector<float> ternarize(const std::vector<float>& w) {
  float s = 0;
  bool ternary = true;
  for (float v : w) {
    if (v == 0) continue;
    if (s == 0) s = std::fabs(v);
    ternary &= std::fabs(v) == s;
  }
  if (ternary) return w;
  return absmean_ternary_values(w.data(), int64_t(w.size()));
}

void run(const std::string& in, const std::string& out, const std::string& type) {
  const FormatTraits* f = &require_format_with(type, &FormatTraits::exportable, "type");
  const GgufFile g = GgufFile::open(in);
  family_of(g);  // a file of an architecture lowbit cannot run is refused before any work
  const bool ternary = f->ternary;
  GgufWriter w;
  for (const auto& [k, v] : g.metadata().entries()) w.metadata().set(k, v);
  ProgressBar bar("quantize");
  size_t done = 0;
  const size_t total = g.tensors().size();
  std::deque<std::vector<float>> keep;
  for (const GgufTensorInfo& t : g.tensors()) {
    LOWBIT_CHECK(t.format, "{}: tensor '{}' has type {}, which lowbit cannot read", in, t.name, t.type_name());
    const auto bytes = g.data(t);
    if (!projection_of(t.name) || t.format == f) {
      w.add_tensor(t.name, *t.format, t.shape(), bytes);
      bar.update(++done, total);
      continue;
    }
    LOWBIT_CHECK(t.format->to_float, "{}: tensor '{}': {} cannot be converted", in, t.name, t.format->name);
    LOWBIT_CHECK(t.ne[0] % f->block_elems == 0, "{}: tensor '{}' has rows of {}, not a multiple of the {} block {}",
                 in, t.name, t.ne[0], f->name, f->block_elems);
    w.add_tensor(t.name, *f, t.shape(), [&g, &t, f, ternary, &bar, &done, total](std::span<std::byte> dst) {
      std::vector<float> v(size_t(t.numel()));
      t.format->to_float(g.data(t).data(), v.data(), t.numel());
      if (ternary) v = ternarize(v);
      f->from_float(v.data(), dst.data(), t.numel());
      bar.update(++done, total);
    });
  }
  w.write(out);
  log_info("lowbit: wrote {} ({})", out, type);
}

const CommandRegistrar reg(75, "quantize", "rewrite a GGUF's projections in another type", [](CLI::App& sub) {
  // IN OUT TYPE, or -m IN OUT TYPE (every command takes -m).
  auto input = std::make_shared<std::string>();
  auto args = std::make_shared<std::vector<std::string>>();
  sub.add_option("-m,--model", *input, "input GGUF (or the first positional argument)");
  sub.add_option("args", *args, "[input] output type: tq2_0, tq1_0, i2_s, f16 or f32")->required()->expected(2, 3);
  sub.callback([input, args] {
    std::vector<std::string> a = *args;
    if (!input->empty()) a.insert(a.begin(), *input);
    LOWBIT_CHECK(a.size() == 3, "quantize takes an input (-m IN or the first argument), an output and a type; got {}",
                 fmt::join(a, " "));
    run(a[0], a[1], a[2]);
  });
});

}  // namespace
}  // namespace lowbit::cli

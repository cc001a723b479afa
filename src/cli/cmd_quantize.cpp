// `lowbit quantize IN.gguf OUT.gguf TYPE` (or -m IN.gguf OUT.gguf TYPE): rewrites the seven projections of
// every block (model/decoder_block.hpp names them) in TYPE (tq2_0, tq1_0,
// i2_s, f16, f32) and copies everything else. Float projections become
// ternary by BitNet b1.58's absmean rule, unless they already hold ternary
// values times one scale (kept exactly). Any family: a `llama` file with
// ternary projections is what bitnet.cpp makes of Llama3-8B-1.58.
// --head-type T (f16, q8_0, q6_k, q4_0) writes the output head in T:
// output.weight if the file has one, else the tied token_embd.weight, with
// ggml's type ids and tensor names (a llama.cpp file). --keep-f16-embd
// keeps a tied token_embd.weight in f16 and adds output.weight in T (the
// layout --exact-greedy reads the exact rows from; a tied architecture in
// llama.cpp refuses the extra tensor). TYPE may be left out with
// --head-type: the projections are then copied.
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

struct HeadOptions {
  std::string type;  // empty: heads copied
  bool keep_f16_embd = false;
};

// A tensor rewritten in f from its float values (ternarized first for a
// ternary f).
void add_converted(GgufWriter& w, const GgufFile& g, const GgufTensorInfo& t, const std::string& name,
                   const FormatTraits* f, ProgressBar& bar, size_t& done, size_t total) {
  LOWBIT_CHECK(t.format->to_float, "{}: tensor '{}': {} cannot be converted", g.path(), t.name, t.format->name);
  LOWBIT_CHECK(t.ne[0] % f->block_elems == 0, "{}: tensor '{}' has rows of {}, not a multiple of the {} block {}",
               g.path(), t.name, t.ne[0], f->name, f->block_elems);
  w.add_tensor(name, *f, t.shape(), [&g, &t, f, &bar, &done, total](std::span<std::byte> dst) {
    std::vector<float> v(size_t(t.numel()));
    t.format->to_float(g.data(t).data(), v.data(), t.numel());
    if (f->ternary) v = ternarize(v);
    f->from_float(v.data(), dst.data(), t.numel());
    bar.update(++done, total);
  });
}

void run(const std::string& in, const std::string& out, const std::string& type, const HeadOptions& ho) {
  LOWBIT_CHECK(!type.empty() || !ho.type.empty(), "quantize: give a projection TYPE, --head-type, or both");
  const FormatTraits* f = type.empty() ? nullptr : &require_format_with(type, &FormatTraits::exportable, "type");
  const FormatTraits* head =
      ho.type.empty() ? nullptr : &require_format_with(ho.type, &FormatTraits::head_capable, "--head-type");
  LOWBIT_CHECK(!ho.keep_f16_embd || head, "--keep-f16-embd needs --head-type");
  const GgufFile g = GgufFile::open(in);
  family_of(g);  // a file of an architecture lowbit cannot run is refused before any work
  const bool tied = g.find_tensor(kOutput) == nullptr;
  const FormatTraits& f16 = format_traits(Format::F16);
  GgufWriter w;
  for (const auto& [k, v] : g.metadata().entries()) w.metadata().set(k, v);
  ProgressBar bar("quantize");
  size_t done = 0;
  const size_t total = g.tensors().size() + (tied && ho.keep_f16_embd ? 1 : 0);
  std::deque<std::vector<float>> keep;
  for (const GgufTensorInfo& t : g.tensors()) {
    LOWBIT_CHECK(t.format, "{}: tensor '{}' has type {}, which lowbit cannot read", in, t.name, t.type_name());
    const bool is_embd = t.name == kTokenEmbd, is_head = t.name == kOutput || (tied && is_embd);
    const FormatTraits* target = projection_of(t.name) ? f : nullptr;
    if (head && is_head) target = tied && ho.keep_f16_embd ? &f16 : head;
    if (!target || t.format == target) {
      w.add_tensor(t.name, *t.format, t.shape(), g.data(t));
      bar.update(++done, total);
    } else {
      add_converted(w, g, t, t.name, target, bar, done, total);
    }
    if (head && is_embd && tied && ho.keep_f16_embd)
      add_converted(w, g, t, std::string(kOutput), head, bar, done, total);
  }
  w.write(out);
  log_info("lowbit: wrote {} ({}{}{})", out, type.empty() ? "projections copied" : type, head ? ", head " : "",
           head ? head->name : "");
}

const CommandRegistrar reg(75, "quantize", "rewrite a GGUF's projections in another type", [](CLI::App& sub) {
  // IN OUT [TYPE], or -m IN OUT [TYPE] (every command takes -m); TYPE may be
  // left out when --head-type says what to rewrite.
  auto input = std::make_shared<std::string>();
  auto args = std::make_shared<std::vector<std::string>>();
  auto head = std::make_shared<HeadOptions>();
  sub.add_option("-m,--model", *input, "input GGUF (or the first positional argument)");
  sub.add_option("args", *args, "[input] output [type: tq2_0, tq1_0, i2_s, f16 or f32]")->required()->expected(1, 3);
  sub.add_option("--head-type", head->type, "write the output head (tied: token_embd) as f16, q8_0, q6_k or q4_0");
  sub.add_flag("--keep-f16-embd", head->keep_f16_embd,
               "tied heads: keep token_embd.weight f16 and add output.weight in --head-type (for --exact-greedy)");
  sub.callback([input, args, head] {
    std::vector<std::string> a = *args;
    if (!input->empty()) a.insert(a.begin(), *input);
    if (a.size() == 2 && !head->type.empty()) a.emplace_back();  // the head alone
    LOWBIT_CHECK(a.size() == 3,
                 "quantize takes an input (-m IN or the first argument), an output and a type (or --head-type); got {}",
                 fmt::join(a, " "));
    run(a[0], a[1], a[2], *head);
  });
});

}  // namespace
}  // namespace lowbit::cli

// `lowbit random-model`: writes a GGUF with random projections, a given
// shape (default: BitNet b1.58 2B4T's) and a given family's layout (--arch:
// its tensor names and keys, sub-norms or not, tied or separate head), for
// benchmarks and tests that need a full-size model without downloading one.
// Projections are random ternary in a ternary type and random normal in a
// float one. Tensors are produced one at a time while the file is written,
// so memory stays small.
#include <cmath>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/console.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "io/data_dir.hpp"
#include "io/gguf_writer.hpp"
#include "model/decoder_block.hpp"
#include "model/gguf_model.hpp"
#include "model/matrix.hpp"

namespace lowbit::cli {
namespace {

struct RandomModelArgs {
  std::string out;
  std::string arch = "bitnet-b1.58";
  bool untied = false;
  std::string type = "i2_s";
  std::string embd_type = "f16";
  ModelConfig c;
  uint64_t seed = 1;
};

void run(RandomModelArgs a) {
  const FormatTraits* proj = &require_format_with(a.type, &FormatTraits::exportable, "--type");
  const FormatTraits* embd = find_format(a.embd_type);
  LOWBIT_CHECK(embd && embd->from_float && embd->block_elems == 1, "--embd-type {}: expected f32, f16 or bf16",
               a.embd_type);
  const ModelFamily* fam = find_family(a.arch);
  LOWBIT_CHECK(fam, "--arch {}: expected one of {}", a.arch, family_names());
  ModelConfig& c = a.c;
  c.arch = std::string(fam->name);
  c.ffn_act = fam->ffn_act;
  c.head_dim = c.n_embd / c.n_head;
  Tokenizer tok = Tokenizer::byte_level();
  if (c.n_vocab == 128256) {
    const std::string path = find_data_file("llama3-tiktoken.model");
    if (!path.empty()) tok = Tokenizer::load_llama3_tiktoken(path);
  }
  GgufVocab vocab = tok.to_gguf();
  pad_vocab(vocab, c.n_vocab);
  c.validate();

  GgufWriter w;
  config_to_gguf(c, w.metadata());
  vocab_to_gguf(vocab, w.metadata());
  w.metadata().set("general.name", std::string("lowbit random model"));
  uint64_t tensor_seed = a.seed;
  auto add = [&](const std::string& name, Shape s, const FormatTraits& f, float scale, bool ternary) {
    const uint64_t seed = tensor_seed++;
    w.add_tensor(name, f, s, [s, &f, scale, ternary, seed](std::span<std::byte> out) {
      Rng rng(seed);
      const int64_t rows = s.rank == 2 ? s[0] : 1, cols = s[s.rank - 1];
      std::vector<float> row(static_cast<size_t>(cols));
      const int64_t row_bytes = f.tensor_trailer_bytes ? 0 : cols / f.block_elems * f.block_bytes;
      std::vector<float> all;
      for (int64_t r = 0; r < rows; ++r) {
        for (auto& v : row)
          v = ternary ? (float(rng.next_u64() % 3) - 1.0f) * scale
                      : (s.rank == 1 ? 1.0f : float(rng.normal()) * scale);
        if (row_bytes) f.from_float(row.data(), out.data() + r * row_bytes, cols);
        else all.insert(all.end(), row.begin(), row.end());  // I2_S: one per-tensor block
      }
      if (!row_bytes) f.from_float(all.data(), out.data(), rows * cols);
    });
  };
  const int64_t d = c.n_embd;
  const FormatTraits& f32 = format_traits(Format::F32);
  const bool ternary = is_ternary_format(*proj);
  if (fam->tensors) {
    // A family with its own layout (hgrn-bit): its list, projections random
    // ternary (float types too: such a family runs every projection ternary).
    LOWBIT_CHECK(!a.untied, "--untied: architecture {} always has its own output.weight", c.arch);
    c.tied_output = false;
    for (const FamilyTensor& t : fam->tensors(c)) {
      const Shape s(std::span<const int64_t>(t.shape));
      if (t.role == TensorRole::Projection) add(t.gguf, s, *proj, ternary ? 0.5f : 0.03125f, true);
      else if (t.role == TensorRole::Embedding) add(t.gguf, s, *embd, 0.02f, false);
      else add(t.gguf, s, f32, t.shape.size() == 1 ? 1.0f : 0.0f, false);
    }
  } else {
    add(std::string(kTokenEmbd), {c.n_vocab, d}, *embd, 0.02f, false);
    add(std::string(kOutputNorm), {d}, f32, 1, false);
    if (a.untied) add(std::string(kOutput), {c.n_vocab, d}, *embd, 0.02f, false);
    for (int64_t l = 0; l < c.n_layer; ++l) {
      for (const NormSpec& n : kNorms)
        if (!n.sub_norm || fam->sub_norms) add(block_tensor_name(l, n.gguf), {dim_of(c, n.dim)}, f32, 1, false);
      // Float weights ~ N(0, 1/in): activations keep their scale through the stack.
      for (const ProjectionSpec& p : kProjections) {
        const int64_t in = dim_of(c, p.in);
        add(block_tensor_name(l, p.gguf), {dim_of(c, p.out), in}, *proj, ternary ? 0.5f : 1.0f / std::sqrt(float(in)),
            ternary);
      }
    }
  }
  Timer t;
  w.write(a.out);
  log_info("lowbit: wrote {} ({}, {} layers, d={}, ff={}, vocab={}, {}) in {:.1f} s", a.out, c.arch, c.n_layer, d,
           c.n_ff, c.n_vocab, a.type, t.seconds());
}

const CommandRegistrar reg(95, "random-model", "write a GGUF with random ternary weights (default: 2B4T's shape)",
                           [](CLI::App& sub) {
  auto a = std::make_shared<RandomModelArgs>();
  ModelConfig& c = a->c;  // BitNet b1.58 2B4T
  c.n_vocab = 128256, c.n_embd = 2560, c.n_layer = 30, c.n_head = 20, c.n_head_kv = 5, c.n_ff = 6912;
  c.n_ctx_train = 4096, c.rope_theta = 500000.0f;
  sub.add_option("-o,--output", a->out, "output GGUF")->required();
  sub.add_option("--arch", a->arch,
                 "model family (GGUF architecture): bitnet-b1.58 (default), bitnet, llama, hgrn-bit");
  sub.add_flag("--untied", a->untied, "a separate output.weight instead of the tied embedding");
  sub.add_option("--type", a->type, "projection type: i2_s (default), tq2_0, tq1_0, f16, f32");
  sub.add_option("--embd-type", a->embd_type, "embedding type: f16 (default), bf16, f32");
  sub.add_option("--vocab", c.n_vocab, "vocabulary size")->check(in_range(1, 1 << 24));
  sub.add_option("--embd", c.n_embd, "hidden size")->check(in_range(1, 1 << 20));
  sub.add_option("--layers", c.n_layer, "layers")->check(in_range(1, 1024));
  sub.add_option("--heads", c.n_head, "attention heads")->check(in_range(1, 1024));
  sub.add_option("--kv-heads", c.n_head_kv, "KV heads")->check(in_range(1, 1024));
  sub.add_option("--ff", c.n_ff, "FFN size")->check(in_range(1, 1 << 20));
  sub.add_option("--ctx", c.n_ctx_train, "context length")->check(in_range(1, 1 << 20));
  sub.add_option("--seed", a->seed, "random seed");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

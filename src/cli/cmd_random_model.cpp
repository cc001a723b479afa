// `lowbit random-model`: writes a GGUF with random ternary projections and a
// given shape (default: BitNet b1.58 2B4T's), for benchmarks and tests that
// need a full-size model without downloading one. Tensors are produced one
// at a time while the file is written, so memory stays small.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "io/data_dir.hpp"
#include "io/gguf_writer.hpp"
#include "model/gguf_model.hpp"

namespace lowbit::cli {
namespace {

struct RandomModelArgs {
  std::string out;
  std::string type = "i2_s";
  std::string embd_type = "f16";
  ModelConfig c;
  uint64_t seed = 1;
};

void run(RandomModelArgs a) {
  const FormatTraits* proj = find_format(a.type);
  const FormatTraits* embd = find_format(a.embd_type);
  LOWBIT_CHECK(proj && (proj->format == Format::TQ1_0 || proj->format == Format::TQ2_0 ||
                        proj->format == Format::I2_S || proj->format == Format::F16 || proj->format == Format::F32),
               "--type {}: expected tq1_0, tq2_0, i2_s, f16 or f32", a.type);
  LOWBIT_CHECK(embd && embd->from_float && embd->block_elems == 1, "--embd-type {}: expected f32, f16 or bf16",
               a.embd_type);
  ModelConfig& c = a.c;
  c.arch = "bitnet-b1.58";
  c.head_dim = c.n_embd / c.n_head;
  Tokenizer tok = Tokenizer::byte_level();
  if (c.n_vocab == 128256) {
    const std::string path = find_data_file("llama3-tiktoken.model");
    if (!path.empty()) tok = Tokenizer::load_llama3_tiktoken(path);
  }
  GgufVocab vocab = tok.to_gguf();
  // Pad or cut the vocabulary to the requested size with unused tokens.
  for (int64_t i = int64_t(vocab.tokens.size()); i < c.n_vocab; ++i) {
    vocab.tokens.push_back(fmt::format("[PAD{}]", i));
    vocab.token_type.push_back(int32_t(TokenType::Unused));
  }
  LOWBIT_CHECK(int64_t(vocab.tokens.size()) == c.n_vocab, "--vocab {} is smaller than the tokenizer's {} tokens",
               c.n_vocab, vocab.tokens.size());
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
  const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
  add("token_embd.weight", {c.n_vocab, d}, *embd, 0.02f, false);
  add("output_norm.weight", {d}, format_traits(Format::F32), 1, false);
  const bool ternary = proj->format != Format::F16 && proj->format != Format::F32;
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    add(p + "attn_norm.weight", {d}, format_traits(Format::F32), 1, false);
    add(p + "attn_sub_norm.weight", {qd}, format_traits(Format::F32), 1, false);
    add(p + "ffn_norm.weight", {d}, format_traits(Format::F32), 1, false);
    add(p + "ffn_sub_norm.weight", {ff}, format_traits(Format::F32), 1, false);
    add(p + "attn_q.weight", {qd, d}, *proj, 0.5f, ternary);
    add(p + "attn_k.weight", {kvd, d}, *proj, 0.5f, ternary);
    add(p + "attn_v.weight", {kvd, d}, *proj, 0.5f, ternary);
    add(p + "attn_output.weight", {d, qd}, *proj, 0.5f, ternary);
    add(p + "ffn_gate.weight", {ff, d}, *proj, 0.5f, ternary);
    add(p + "ffn_up.weight", {ff, d}, *proj, 0.5f, ternary);
    add(p + "ffn_down.weight", {d, ff}, *proj, 0.5f, ternary);
  }
  Timer t;
  w.write(a.out);
  fmt::print(stderr, "lowbit: wrote {} ({} layers, d={}, ff={}, vocab={}, {}) in {:.1f} s\n", a.out, c.n_layer, d, ff,
             c.n_vocab, a.type, t.seconds());
}

const CommandRegistrar reg(95, "random-model", "write a GGUF with random ternary weights (default: 2B4T's shape)",
                           [](CLI::App& sub) {
  auto a = std::make_shared<RandomModelArgs>();
  ModelConfig& c = a->c;  // BitNet b1.58 2B4T
  c.n_vocab = 128256, c.n_embd = 2560, c.n_layer = 30, c.n_head = 20, c.n_head_kv = 5, c.n_ff = 6912;
  c.n_ctx_train = 4096, c.rope_theta = 500000.0f;
  sub.add_option("-o,--output", a->out, "output GGUF")->required();
  sub.add_option("--type", a->type, "projection type: i2_s (default), tq2_0, tq1_0, f16, f32");
  sub.add_option("--embd-type", a->embd_type, "embedding type: f16 (default), bf16, f32");
  sub.add_option("--vocab", c.n_vocab, "vocabulary size")->check(CLI::Range(1, 1 << 24));
  sub.add_option("--embd", c.n_embd, "hidden size")->check(CLI::Range(1, 1 << 20));
  sub.add_option("--layers", c.n_layer, "layers")->check(CLI::Range(1, 1024));
  sub.add_option("--heads", c.n_head, "attention heads")->check(CLI::Range(1, 1024));
  sub.add_option("--kv-heads", c.n_head_kv, "KV heads")->check(CLI::Range(1, 1024));
  sub.add_option("--ff", c.n_ff, "FFN size")->check(CLI::Range(1, 1 << 20));
  sub.add_option("--ctx", c.n_ctx_train, "context length")->check(CLI::Range(1, 1 << 20));
  sub.add_option("--seed", a->seed, "random seed");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

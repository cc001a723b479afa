#include "model/gguf_model.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lowbit {

namespace {

std::string key(const ModelConfig& c, std::string_view k) { return fmt::format("{}.{}", c.arch, k); }

// lowbit.blk.<l>.<proj>.{type,bits,act_bits,groups,nonneg,subln,threshold}
// (written by the trainer's export for non-ternary projection types).
void read_layer_types(const GgufFile& f, ModelConfig& c) {
  const GgufMetadata& m = f.metadata();
  for (const auto& [k, v] : m.entries()) {
    const std::string pre = "lowbit.blk.", suf = ".type";
    if (k.rfind(pre, 0) != 0 || k.size() <= pre.size() + suf.size() || k.substr(k.size() - suf.size()) != suf) continue;
    const std::string base = k.substr(0, k.size() - suf.size());  // lowbit.blk.0.attn_q
    LinearOptions o;
    const LinearType type = parse_linear_type(m.get_string(k));
    o.bits = int(m.find_int(base + ".bits").value_or(o.bits));
    o.act_bits = int(m.find_int(base + ".act_bits").value_or(o.act_bits));
    o.groups = int(m.find_int(base + ".groups").value_or(o.groups));
    o.nonneg = m.find_bool(base + ".nonneg").value_or(o.nonneg);
    o.subln = m.find_bool(base + ".subln").value_or(o.subln);
    o.threshold = m.find_f32(base + ".threshold").value_or(o.threshold);
    c.layer_types[base.substr(std::string("lowbit.").size())] = {type, o};
  }
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& f) {
  const GgufMetadata& m = f.metadata();
  ModelConfig c;
  c.arch = f.architecture();
  LOWBIT_CHECK(c.arch == "bitnet" || c.arch == "bitnet-b1.58" || c.arch == "bitnet-25",
               "{}: architecture '{}' is not supported (expected bitnet or bitnet-b1.58)", f.path(), c.arch);
  c.n_embd = m.get_int(key(c, "embedding_length"));
  c.n_layer = m.get_int(key(c, "block_count"));
  c.n_ff = m.get_int(key(c, "feed_forward_length"));
  c.n_head = m.get_int(key(c, "attention.head_count"));
  c.n_head_kv = m.find_int(key(c, "attention.head_count_kv")).value_or(c.n_head);
  c.n_ctx_train = m.find_int(key(c, "context_length")).value_or(2048);
  c.rms_eps = m.find_f32(key(c, "attention.layer_norm_rms_epsilon")).value_or(1e-5f);
  c.rope_theta = m.find_f32(key(c, "rope.freq_base")).value_or(10000.0f);
  LOWBIT_CHECK(c.n_head > 0 && c.n_embd % c.n_head == 0, "{}: embedding_length {} is not a multiple of head_count {}",
               f.path(), c.n_embd, c.n_head);
  c.head_dim = m.find_int(key(c, "attention.key_length")).value_or(c.n_embd / c.n_head);
  // llama.cpp's `bitnet` graph (the 1bitLLM models) gates with SiLU;
  // bitnet.cpp's `bitnet-b1.58` (2B4T) with relu^2.
  c.ffn_act = c.arch == "bitnet" ? FfnAct::Silu : FfnAct::Relu2;
  if (auto act = m.find_string("lowbit.ffn_act")) c.ffn_act = *act == "silu" ? FfnAct::Silu : FfnAct::Relu2;
  const GgufTensorInfo& embd = f.tensor("token_embd.weight");
  c.n_vocab = embd.ne[1];
  if (auto nv = m.find_int(key(c, "vocab_size")))
    LOWBIT_CHECK(*nv == c.n_vocab, "{}: {}.vocab_size {} disagrees with token_embd.weight's {} rows", f.path(), c.arch,
                 *nv, c.n_vocab);
  read_layer_types(f, c);
  c.tied_output = f.find_tensor("output.weight") == nullptr;
  c.sub_norms = f.find_tensor("blk.0.attn_sub_norm.weight") != nullptr;
  try {
    c.validate();
  } catch (const Error& e) {
    fail("{}: {}", f.path(), e.what());
  }
  return c;
}

void config_to_gguf(const ModelConfig& c, GgufMetadata& m) {
  m.set("general.architecture", c.arch);
  m.set(key(c, "vocab_size"), uint32_t(c.n_vocab));
  m.set(key(c, "context_length"), uint32_t(c.n_ctx_train));
  m.set(key(c, "embedding_length"), uint32_t(c.n_embd));
  m.set(key(c, "block_count"), uint32_t(c.n_layer));
  m.set(key(c, "feed_forward_length"), uint32_t(c.n_ff));
  m.set(key(c, "attention.head_count"), uint32_t(c.n_head));
  m.set(key(c, "attention.head_count_kv"), uint32_t(c.n_head_kv));
  m.set(key(c, "attention.layer_norm_rms_epsilon"), c.rms_eps);
  m.set(key(c, "rope.freq_base"), c.rope_theta);
  m.set(key(c, "rope.dimension_count"), uint32_t(c.head_dim));
  if (c.head_dim * c.n_head != c.n_embd) m.set(key(c, "attention.key_length"), uint32_t(c.head_dim));
  const bool default_act = (c.arch == "bitnet") == (c.ffn_act == FfnAct::Silu);
  if (!default_act) m.set("lowbit.ffn_act", std::string(c.ffn_act == FfnAct::Silu ? "silu" : "relu2"));
}

namespace {
// The tokenizer reads its strings from a StringList: two allocations, freed
// at once after loading, rather than one std::string per token.
StringList to_string_list(const GgufStrings& s) {
  StringList out;
  out.reserve(size_t(s.size()), s.payload_bytes());
  for (std::string_view x : s) out.push_back(x);
  return out;
}
}  // namespace

GgufVocab vocab_from_gguf(const GgufMetadata& m) {
  GgufVocab v;
  v.model = m.get_string("tokenizer.ggml.model");
  v.pre = m.find_string("tokenizer.ggml.pre").value_or("default");
  v.tokens = to_string_list(m.get_strings("tokenizer.ggml.tokens"));
  if (const GgufStrings* merges = m.find_strings("tokenizer.ggml.merges")) v.merges = to_string_list(*merges);
  v.token_type = m.find_array<int32_t>("tokenizer.ggml.token_type").value_or(std::vector<int32_t>{});
  auto id = [&](const char* k) { return int32_t(m.find_int(k).value_or(-1)); };
  v.bos_id = id("tokenizer.ggml.bos_token_id");
  v.eos_id = id("tokenizer.ggml.eos_token_id");
  v.eot_id = id("tokenizer.ggml.eot_token_id");
  v.pad_id = id("tokenizer.ggml.padding_token_id");
  v.add_bos = m.find_bool("tokenizer.ggml.add_bos_token").value_or(true);
  v.chat_template = m.find_string("tokenizer.chat_template").value_or("");
  return v;
}

void vocab_to_gguf(const GgufVocab& v, GgufMetadata& m) {
  m.set("tokenizer.ggml.model", v.model);
  m.set("tokenizer.ggml.pre", v.pre);
  m.set("tokenizer.ggml.tokens", GgufArray::of(v.tokens));
  if (!v.merges.empty()) m.set("tokenizer.ggml.merges", GgufArray::of(v.merges));
  if (!v.token_type.empty()) m.set("tokenizer.ggml.token_type", GgufArray::of(v.token_type));
  auto id = [&](const char* k, int32_t x) {
    if (x >= 0) m.set(k, uint32_t(x));
  };
  id("tokenizer.ggml.bos_token_id", v.bos_id);
  id("tokenizer.ggml.eos_token_id", v.eos_id);
  id("tokenizer.ggml.eot_token_id", v.eot_id);
  id("tokenizer.ggml.padding_token_id", v.pad_id);
  m.set("tokenizer.ggml.add_bos_token", v.add_bos);
  if (!v.chat_template.empty()) m.set("tokenizer.chat_template", v.chat_template);
}

TensorLookup gguf_tensor_lookup(const GgufFile& f) {
  return [&f](std::string_view name) -> std::optional<TensorRef> {
    const GgufTensorInfo* t = f.find_tensor(name);
    if (!t) return std::nullopt;
    LOWBIT_CHECK(t->format, "{}: tensor '{}' has type {}, which lowbit cannot run", f.path(), t->name, t->type_name());
    LOWBIT_CHECK(t->ne[2] == 1 && t->ne[3] == 1, "{}: tensor '{}' has more than 2 dimensions", f.path(), t->name);
    TensorRef r;
    r.name = t->name;
    r.format = t->format;
    r.data = f.data(*t).data();
    r.cols = t->ne[0];
    r.rows = t->ne[1];
    const auto bytes = f.data(*t);
    r.release = [&f, bytes](size_t offset, size_t n) {
      if (offset >= bytes.size()) return;
      f.mapped_file().drop_pages(bytes.data() + offset, std::min(n, bytes.size() - offset));
    };
    return r;
  };
}

LoadedModel load_gguf_model(const std::string& path, const ModelLoadOptions& opt) {
  LoadedModel lm;
  lm.file = std::make_unique<GgufFile>(GgufFile::open(path));
  lm.config = config_from_gguf(*lm.file);
  lm.tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_gguf(vocab_from_gguf(lm.file->metadata())));
  // Everything is read from the metadata now: its pages (a LLaMA-3
  // vocabulary is 7.5 MiB of them) need not stay resident next to the model.
  lm.file->drop_metadata_pages();
  lm.config.bos_id = lm.tokenizer->bos_id();
  lm.config.eos_id = lm.tokenizer->eos_id();
  lm.config.eot_id = lm.tokenizer->eot_id();
  try {
    lm.model = std::make_unique<BitNetModel>(lm.config, gguf_tensor_lookup(*lm.file), opt);
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  }
  return lm;
}

}  // namespace lowbit

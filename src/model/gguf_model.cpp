#include "model/gguf_model.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lowbit {

const ModelFamily& family_of(const GgufFile& f) {
  const ModelFamily* fam = find_family(f.architecture());
  LOWBIT_CHECK(fam, "{}: architecture '{}' is not supported (lowbit runs {})", f.path(), f.architecture(),
               family_names());
  return *fam;
}

ModelConfig config_from_gguf(const GgufFile& f) { return family_of(f).read_config(f); }

void config_to_gguf(const ModelConfig& c, GgufMetadata& m) {
  const ModelFamily* fam = find_family(c.arch);
  LOWBIT_CHECK(fam, "architecture '{}' is not supported (lowbit runs {})", c.arch, family_names());
  fam->write_config(c, m);
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

void layer_type_to_gguf(GgufMetadata& m, std::string_view tensor, LinearType type, const LinearOptions& opt) {
  const std::string k = fmt::format("lowbit.{}.", tensor);
  m.set(k + "type", std::string(linear_type_name(type)));
  m.set(k + "bits", int32_t(opt.bits));
  m.set(k + "act_bits", int32_t(opt.act_bits));
  m.set(k + "groups", int32_t(opt.groups));
  m.set(k + "nonneg", opt.nonneg);
  m.set(k + "subln", opt.subln);
  m.set(k + "threshold", opt.threshold);
}

void layer_types_from_gguf(const GgufMetadata& m, ModelConfig& c) {
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
  // SentencePiece-style ("llama") vocabularies: scores, unk, eos and prefix rules.
  v.scores = m.find_array<float>("tokenizer.ggml.scores").value_or(std::vector<float>{});
  v.unk_id = id("tokenizer.ggml.unknown_token_id");
  v.add_eos = m.find_bool("tokenizer.ggml.add_eos_token").value_or(false);
  v.add_space_prefix = m.find_bool("tokenizer.ggml.add_space_prefix").value_or(true);
  v.chat_template = m.find_string("tokenizer.chat_template").value_or("");
  return v;
}

void pad_vocab(GgufVocab& v, int64_t n) {
  LOWBIT_CHECK(int64_t(v.tokens.size()) <= n, "the tokenizer has {} tokens, more than the model's vocabulary of {}",
               v.tokens.size(), n);
  if (!v.token_type.empty() || int64_t(v.tokens.size()) < n) v.token_type.resize(v.tokens.size(), int32_t(TokenType::Normal));
  for (int64_t i = int64_t(v.tokens.size()); i < n; ++i) {
    v.tokens.push_back(fmt::format("[PAD{}]", i));
    v.token_type.push_back(int32_t(TokenType::Unused));
    if (!v.scores.empty()) v.scores.push_back(0.0f);
  }
}

void vocab_to_gguf(const GgufVocab& v, GgufMetadata& m) {
  m.set("tokenizer.ggml.model", v.model);
  m.set("tokenizer.ggml.pre", v.pre);
  m.set("tokenizer.ggml.tokens", GgufArray::of(v.tokens));
  // llama.cpp refuses a BPE ("gpt2") vocabulary without the merges key, even
  // when there is nothing to merge (a byte-level vocabulary), so it is
  // written empty then.
  if (!v.merges.empty() || v.model == "gpt2") m.set("tokenizer.ggml.merges", GgufArray::of(v.merges));
  if (!v.token_type.empty()) m.set("tokenizer.ggml.token_type", GgufArray::of(v.token_type));
  auto id = [&](const char* k, int32_t x) {
    if (x >= 0) m.set(k, uint32_t(x));
  };
  id("tokenizer.ggml.bos_token_id", v.bos_id);
  id("tokenizer.ggml.eos_token_id", v.eos_id);
  id("tokenizer.ggml.eot_token_id", v.eot_id);
  id("tokenizer.ggml.padding_token_id", v.pad_id);
  id("tokenizer.ggml.unknown_token_id", v.unk_id);
  if (!v.scores.empty()) m.set("tokenizer.ggml.scores", GgufArray::of(v.scores));
  m.set("tokenizer.ggml.add_bos_token", v.add_bos);
  if (v.model == "llama") {
    m.set("tokenizer.ggml.add_eos_token", v.add_eos);
    m.set("tokenizer.ggml.add_space_prefix", v.add_space_prefix);
  }
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

namespace {

// Special token ids must name tokens of the vocabulary (and of the model's
// embedding), or sampling and stopping would index past them.
void check_token_ids(const GgufFile& f, const GgufVocab& v, int64_t n_vocab) {
  const int64_t n = std::min<int64_t>(n_vocab, int64_t(v.tokens.size()));
  const std::pair<const char*, int32_t> ids[] = {{"tokenizer.ggml.bos_token_id", v.bos_id},
                                                 {"tokenizer.ggml.eos_token_id", v.eos_id},
                                                 {"tokenizer.ggml.eot_token_id", v.eot_id},
                                                 {"tokenizer.ggml.padding_token_id", v.pad_id},
                                                 {"tokenizer.ggml.unknown_token_id", v.unk_id}};
  for (const auto& [key, id] : ids)
    LOWBIT_CHECK(id < n, "{}: key '{}' = {} is outside the vocabulary of {} tokens", f.path(), key, id, n);
}

}  // namespace

LoadedModel load_gguf_model(const std::string& path, const ModelLoadOptions& opt) {
  LoadedModel lm;
  lm.file = std::make_unique<GgufFile>(GgufFile::open(path));
  lm.family = &family_of(*lm.file);
  lm.config = lm.family->read_config(*lm.file);
  GgufVocab vocab = vocab_from_gguf(lm.file->metadata());
  check_token_ids(*lm.file, vocab, lm.config.n_vocab);
  lm.tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_gguf(vocab));
  // Everything is read from the metadata now: its pages (a LLaMA-3
  // vocabulary is 7.5 MiB of them) need not stay resident next to the model.
  lm.file->drop_metadata_pages();
  lm.config.bos_id = lm.tokenizer->bos_id();
  lm.config.eos_id = lm.tokenizer->eos_id();
  lm.config.eot_id = lm.tokenizer->eot_id();
  try {
    lm.model = lm.family->load(lm.config, gguf_tensor_lookup(*lm.file), opt);
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  }
  return lm;
}

}  // namespace lowbit

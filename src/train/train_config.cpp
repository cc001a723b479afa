#include "train/train_config.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "formats/format.hpp"
#include "io/file_util.hpp"

namespace lowbit {

namespace {

using json = nlohmann::json;

// Reads obj[key] into out when present, with a clear error on a wrong type;
// marks the key as used.
template <typename T>
void get(const json& obj, const char* key, T& out, const std::string& where, std::vector<std::string>& used) {
  used.push_back(key);
  if (!obj.contains(key)) return;
  try {
    out = obj.at(key).get<T>();
  } catch (const json::exception&) {
    fail("{}: '{}' has the wrong type ({})", where, key, obj.at(key).type_name());
  }
}

void reject_unknown(const json& obj, const std::vector<std::string>& used, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (std::find(used.begin(), used.end(), it.key()) == used.end())
      fail("{}: unknown key '{}'", where, it.key());
}

int proj_index(const std::string& name, const std::string& where) {
  for (int p = 0; p < kProjCount; ++p)
    if (name == proj_gguf_name(p)) return p;
  std::string names;
  for (const ProjectionSpec& p : kProjections) names += (names.empty() ? "" : ", ") + std::string(p.gguf);
  fail("{}: unknown projection '{}' (expected {})", where, name, names);
}

ProjSpec parse_spec(const json& j, const ProjSpec& base, const std::string& where, std::vector<std::string>& used) {
  ProjSpec s = base;
  std::string type(linear_type_name(s.type));
  get(j, "type", type, where, used);
  s.type = parse_linear_type(type);
  get(j, "bits", s.opt.bits, where, used);
  get(j, "act_bits", s.opt.act_bits, where, used);
  get(j, "groups", s.opt.groups, where, used);
  get(j, "nonneg", s.opt.nonneg, where, used);
  get(j, "subln", s.opt.subln, where, used);
  get(j, "threshold", s.opt.threshold, where, used);
  LOWBIT_CHECK(s.opt.act_bits == 4 || s.opt.act_bits == 8, "{}: act_bits must be 4 or 8", where);
  LOWBIT_CHECK(s.opt.bits >= 2 && s.opt.bits <= 16, "{}: bits must be in [2, 16]", where);
  LOWBIT_CHECK(s.opt.groups >= 1, "{}: groups must be >= 1", where);
  return s;
}

}  // namespace

TrainModelSpec TrainConfig::model_spec() const {
  TrainModelSpec s;
  s.arch = arch;
  std::array<ProjSpec, kProjCount> row;
  row.fill(proj_default);
  s.proj.assign(size_t(arch.n_layer), row);
  for (const ProjOverride& o : overrides)
    for (int64_t l = 0; l < arch.n_layer; ++l) {
      if (!o.layers.empty() && std::find(o.layers.begin(), o.layers.end(), l) == o.layers.end()) continue;
      for (int p = 0; p < kProjCount; ++p)
        if (o.projs.empty() || std::find(o.projs.begin(), o.projs.end(), proj_gguf_name(p)) != o.projs.end())
          s.proj[size_t(l)][size_t(p)] = o.spec;
    }
  return s;
}

namespace {

// One reader per top-level section; each marks the keys it knows and
// rejects the rest.
void parse_data(const json& d, const std::string& w, TrainConfig& c) {
  std::vector<std::string> u;
  get(d, "path", c.data_path, w, u);
  get(d, "split", c.split, w, u);
  reject_unknown(d, u, w);
}

void parse_tokenizer(const json& t, const std::string& w, TrainConfig& c) {
  std::vector<std::string> u;
  get(t, "type", c.tokenizer, w, u);
  get(t, "vocab_size", c.vocab_size, w, u);
  reject_unknown(t, u, w);
}

void parse_model(const json& m, const std::string& w, ModelConfig& a) {
  std::vector<std::string> u;
  get(m, "arch", a.arch, w, u);
  get(m, "tied", a.tied_output, w, u);
  get(m, "n_embd", a.n_embd, w, u);
  get(m, "n_layer", a.n_layer, w, u);
  get(m, "n_head", a.n_head, w, u);
  get(m, "n_head_kv", a.n_head_kv, w, u);
  get(m, "n_ff", a.n_ff, w, u);
  get(m, "context", a.n_ctx_train, w, u);
  get(m, "rope_theta", a.rope_theta, w, u);
  reject_unknown(m, u, w);
}

ProjOverride parse_override(const json& o, const ProjSpec& base, const std::string& w) {
  LOWBIT_CHECK(o.is_object(), "{}: each override must be an object", w);
  std::vector<std::string> u;
  ProjOverride po;
  get(o, "layers", po.layers, w, u);
  get(o, "projs", po.projs, w, u);
  for (const std::string& p : po.projs) proj_index(p, w);
  po.spec = parse_spec(o, base, w, u);
  reject_unknown(o, u, w);
  return po;
}

ActBitsEvent parse_act_bits_event(const json& e, const std::string& w) {
  std::vector<std::string> u;
  ActBitsEvent ev;
  get(e, "step", ev.step, w, u);
  get(e, "act_bits", ev.act_bits, w, u);
  reject_unknown(e, u, w);
  LOWBIT_CHECK(ev.act_bits == 4 || ev.act_bits == 8, "{}: act_bits must be 4 or 8", w);
  return ev;
}

// q[key], which must be an array if present (marked used either way).
const json* array_of(const json& q, const char* key, const std::string& w, std::vector<std::string>& used) {
  used.push_back(key);
  if (!q.contains(key)) return nullptr;
  LOWBIT_CHECK(q.at(key).is_array(), "{}: '{}' must be an array", w, key);
  return &q.at(key);
}

void parse_quant(const json& q, const std::string& w, TrainConfig& c) {
  std::vector<std::string> u;
  c.proj_default = parse_spec(q, c.proj_default, w, u);
  get(q, "blend_start", c.blend_start, w, u);
  get(q, "blend_steps", c.blend_steps, w, u);
  if (const json* list = array_of(q, "overrides", w, u))
    for (const json& o : *list) c.overrides.push_back(parse_override(o, c.proj_default, w + ": override"));
  if (const json* list = array_of(q, "act_bits_schedule", w, u))
    for (const json& e : *list) c.act_bits_schedule.push_back(parse_act_bits_event(e, w + ": act_bits_schedule"));
  reject_unknown(q, u, w);
}

void parse_optim(const json& o, const std::string& w, TrainConfig& c) {
  std::vector<std::string> u;
  get(o, "lr", c.lr, w, u);
  get(o, "min_lr", c.min_lr, w, u);
  get(o, "warmup", c.warmup, w, u);
  get(o, "steps", c.steps, w, u);
  get(o, "weight_decay", c.weight_decay, w, u);
  get(o, "beta1", c.beta1, w, u);
  get(o, "beta2", c.beta2, w, u);
  get(o, "eps", c.adam_eps, w, u);
  get(o, "grad_clip", c.grad_clip, w, u);
  get(o, "two_stage", c.two_stage, w, u);
  get(o, "stage2_at", c.stage2_at, w, u);
  get(o, "stage2_lr", c.stage2_lr, w, u);
  reject_unknown(o, u, w);
}

void parse_export(const json& e, const std::string& w, TrainConfig& c) {
  std::vector<std::string> u;
  get(e, "path", c.export_path, w, u);
  get(e, "type", c.export_type, w, u);
  reject_unknown(e, u, w);
}

// Ranges and cross-field rules, after every section is read.
void validate(TrainConfig& c, const std::string& source) {
  ModelConfig& a = c.arch;
  LOWBIT_CHECK(c.tokenizer == "bpe" || c.tokenizer == "byte", "{}: tokenizer.type must be 'bpe' or 'byte'", source);
  LOWBIT_CHECK(c.split > 0 && c.split < 1, "{}: data.split must be in (0, 1)", source);
  LOWBIT_CHECK(c.vocab_size >= 261 && c.vocab_size <= 65536, "{}: tokenizer.vocab_size must be in [261, 65536]", source);
  LOWBIT_CHECK(c.steps > 0 && c.warmup >= 0 && c.batch_size > 0 && c.seq_len > 1, "{}: steps, batch_size and seq_len must be positive", source);
  LOWBIT_CHECK(c.seq_len <= a.n_ctx_train, "{}: seq_len {} exceeds model.context {}", source, c.seq_len, a.n_ctx_train);
  LOWBIT_CHECK(c.lr > 0 && c.min_lr >= 0 && c.stage2_lr > 0, "{}: learning rates must be positive", source);
  LOWBIT_CHECK(c.stage2_at > 0 && c.stage2_at < 1, "{}: optim.stage2_at must be in (0, 1)", source);
  require_format_with(c.export_type, &FormatTraits::exportable, source + ": export.type");
  LOWBIT_CHECK(a.n_head > 0 && a.n_embd % a.n_head == 0, "{}: model.n_embd must be a multiple of n_head", source);
  a.head_dim = a.n_embd / a.n_head;
  LOWBIT_CHECK(a.arch == "bitnet-b1.58" || a.arch == "hgrn-bit",
               "{}: model.arch '{}': expected bitnet-b1.58 (the decoder) or hgrn-bit", source, a.arch);
  if (a.arch == "hgrn-bit") {
    // Every HGRN-Bit projection is a FusedBitLinear (b1.58, int8 activations):
    // nothing per projection to choose, no progressive schedule.
    LOWBIT_CHECK(c.proj_default.type == LinearType::BitLinear158 && !c.proj_default.opt.subln,
                 "{}: model.arch hgrn-bit trains bitlinear158 projections only (quant.type)", source);
    LOWBIT_CHECK(c.overrides.empty() && c.act_bits_schedule.empty() && c.blend_start >= 1.0f,
                 "{}: model.arch hgrn-bit takes no quant.overrides, act_bits_schedule or blend_start", source);
  } else {
    LOWBIT_CHECK(a.tied_output, "{}: model.tied false is for hgrn-bit only (the decoder ties its head)", source);
  }
  a.n_vocab = c.vocab_size;  // replaced by the tokenizer's size once it is built
}

}  // namespace

TrainConfig parse_train_config(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("{}: invalid JSON at byte {}: {}", source, e.byte, e.what());
  }
  LOWBIT_CHECK(j.is_object(), "{}: the config must be a JSON object", source);
  TrainConfig c;
  c.json_text = text;
  ModelConfig& a = c.arch;
  a.arch = "bitnet-b1.58";
  a.n_embd = 256, a.n_layer = 4, a.n_head = 4, a.n_head_kv = 2, a.n_ff = 768, a.n_ctx_train = 256;
  a.rope_theta = 10000.0f;
  std::vector<std::string> used;
  const std::string& w = source;
  auto section = [&](const char* name) -> const json* {
    used.push_back(name);
    if (!j.contains(name)) return nullptr;
    LOWBIT_CHECK(j.at(name).is_object(), "{}: '{}' must be an object", source, name);
    return &j.at(name);
  };
  if (const json* d = section("data")) parse_data(*d, w + ": data", c);
  if (const json* t = section("tokenizer")) parse_tokenizer(*t, w + ": tokenizer", c);
  if (const json* m = section("model")) parse_model(*m, w + ": model", a);
  if (const json* q = section("quant")) parse_quant(*q, w + ": quant", c);
  if (const json* o = section("optim")) parse_optim(*o, w + ": optim", c);
  get(j, "batch_size", c.batch_size, w, used);
  get(j, "seq_len", c.seq_len, w, used);
  get(j, "seed", c.seed, w, used);
  get(j, "eval_every", c.eval_every, w, used);
  get(j, "eval_batches", c.eval_batches, w, used);
  get(j, "checkpoint_every", c.checkpoint_every, w, used);
  get(j, "out_dir", c.out_dir, w, used);
  if (const json* e = section("export")) parse_export(*e, w + ": export", c);
  reject_unknown(j, used, w);
  validate(c, source);
  return c;
}

TrainConfig load_train_config(const std::string& path) { return parse_train_config(read_file(path), path); }

}  // namespace lowbit

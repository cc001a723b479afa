#include "model/family.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "io/gguf_file.hpp"
#include "model/decoder_model.hpp"
#include "model/gguf_model.hpp"

namespace lowbit {

// Each file src/model/families/<name>.cpp defines family_<name>(); the build
// writes one LOWBIT_FAMILY(<name>) line per file into model_families.inc.
#define LOWBIT_FAMILY(stem) const ModelFamily& family_##stem();
#include "model_families.inc"
#undef LOWBIT_FAMILY

std::span<const ModelFamily* const> all_families() {
#define LOWBIT_FAMILY(stem) &family_##stem(),
  static const ModelFamily* const kAll[] = {
#include "model_families.inc"
  };
#undef LOWBIT_FAMILY
  return kAll;
}

bool ModelFamily::reads(std::string_view arch) const {
  return arch == name || std::find(also_reads.begin(), also_reads.end(), arch) != also_reads.end();
}

const ModelFamily* find_family(std::string_view arch) {
  for (const ModelFamily* f : all_families())
    if (f->reads(arch)) return f;
  return nullptr;
}

const ModelFamily* find_hf_family(std::string_view hf_class) {
  for (const ModelFamily* f : all_families())
    if (std::find(f->hf_classes.begin(), f->hf_classes.end(), hf_class) != f->hf_classes.end()) return f;
  return nullptr;
}

std::string family_names() {
  std::string s;
  for (const ModelFamily* f : all_families()) s += (s.empty() ? "" : ", ") + std::string(f->name);
  return s;
}

namespace {

// Limits on counts read from a file, so absurd metadata is an error naming
// its key rather than an allocation failure or a model that runs garbage.
constexpr int64_t kMaxDim = int64_t(1) << 20;
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxContext = int64_t(1) << 21;

class KeyReader {
 public:
  KeyReader(const GgufFile& f, std::string arch) : f_(f), m_(f.metadata()), arch_(std::move(arch)) {}
  std::string key(std::string_view k) const { return fmt::format("{}.{}", arch_, k); }

  int64_t count(std::string_view k, int64_t max) const { return check(k, m_.get_int(key(k)), max); }
  std::optional<int64_t> find_count(std::string_view k, int64_t max) const {
    if (auto v = m_.find_int(key(k))) return check(k, *v, max);
    return std::nullopt;
  }
  float positive(std::string_view k, float fallback, float max) const {
    const float v = m_.find_f32(key(k)).value_or(fallback);
    LOWBIT_CHECK(std::isfinite(v) && v > 0 && v < max, "{}: key '{}' = {} is out of range (0, {})", f_.path(), key(k),
                 v, max);
    return v;
  }
  const GgufMetadata& meta() const { return m_; }
  const std::string& path() const { return f_.path(); }

 private:
  int64_t check(std::string_view k, int64_t v, int64_t max) const {
    LOWBIT_CHECK(v > 0 && v <= max, "{}: key '{}' = {} is out of range (1 to {})", f_.path(), key(k), v, max);
    return v;
  }
  const GgufFile& f_;
  const GgufMetadata& m_;
  std::string arch_;
};

void read_rope_scaling(const KeyReader& r, ModelConfig& c) {
  const std::string type_key = r.key("rope.scaling.type");
  const std::string type = r.meta().find_string(type_key).value_or("none");
  if (type == "none") return;
  LOWBIT_CHECK(type == "linear", "{}: key '{}' = '{}' is not supported (none or linear)", r.path(), type_key, type);
  c.rope_freq_scale = 1.0f / r.positive("rope.scaling.factor", 1.0f, 1e6f);
}

}  // namespace

ModelConfig ModelFamily::read_config(const GgufFile& f) const {
  const KeyReader r(f, f.architecture());
  ModelConfig c;
  c.arch = f.architecture();
  c.ffn_act = ffn_act;
  c.rope_style = rope_style;
  c.sub_norms = sub_norms;
  c.n_embd = r.count("embedding_length", kMaxDim);
  c.n_layer = r.count("block_count", kMaxLayers);
  c.n_ff = r.count("feed_forward_length", kMaxDim);
  c.n_head = r.count("attention.head_count", kMaxDim);
  c.n_head_kv = r.find_count("attention.head_count_kv", kMaxDim).value_or(c.n_head);
  c.n_ctx_train = r.find_count("context_length", kMaxContext).value_or(default_ctx);
  c.rms_eps = r.positive("attention.layer_norm_rms_epsilon", 1e-5f, 1.0f);
  c.rope_theta = r.positive("rope.freq_base", 10000.0f, 1e12f);
  LOWBIT_CHECK(c.n_head_kv <= c.n_head && c.n_head % c.n_head_kv == 0, "{}: key '{}' = {} does not divide '{}' = {}",
               f.path(), r.key("attention.head_count_kv"), c.n_head_kv, r.key("attention.head_count"), c.n_head);
  const std::optional<int64_t> key_length = r.find_count("attention.key_length", kMaxDim);
  LOWBIT_CHECK(key_length || c.n_embd % c.n_head == 0, "{}: key '{}' = {} is not a multiple of '{}' = {}", f.path(),
               r.key("embedding_length"), c.n_embd, r.key("attention.head_count"), c.n_head);
  c.head_dim = key_length.value_or(c.n_embd / c.n_head);
  if (auto v = r.find_count("attention.value_length", kMaxDim))
    LOWBIT_CHECK(*v == c.head_dim, "{}: key '{}' = {} differs from the key length {} (not supported)", f.path(),
                 r.key("attention.value_length"), *v, c.head_dim);
  if (auto n_rot = r.find_count("rope.dimension_count", kMaxDim))
    LOWBIT_CHECK(*n_rot == c.head_dim,
                 "{}: key '{}' = {}: only rotary embeddings over the whole head ({}) are supported", f.path(),
                 r.key("rope.dimension_count"), *n_rot, c.head_dim);
  read_rope_scaling(r, c);
  // <arch>.hidden_activation where the family reads it; lowbit.ffn_act in
  // files written by lowbit before the families existed.
  auto read_act = [&](const std::string& key) {
    if (auto act = r.meta().find_string(key)) {
      const auto parsed = parse_ffn_act(*act);
      LOWBIT_CHECK(parsed, "{}: key '{}' = '{}' is not a known activation (silu, relu2)", f.path(), key, *act);
      c.ffn_act = *parsed;
    }
  };
  if (reads_hidden_activation) read_act(r.key("hidden_activation"));
  read_act("lowbit.ffn_act");
  const GgufTensorInfo& embd = f.tensor(std::string(kTokenEmbd));
  c.n_vocab = embd.ne[1];
  if (auto nv = r.meta().find_int(r.key("vocab_size")))
    LOWBIT_CHECK(*nv == c.n_vocab, "{}: key '{}' = {} disagrees with {}'s {} rows", f.path(), r.key("vocab_size"), *nv,
                 kTokenEmbd, c.n_vocab);
  layer_types_from_gguf(r.meta(), c);
  c.tied_output = f.find_tensor(kOutput) == nullptr;
  if (read_keys) read_keys(r.meta(), c.arch, c);
  try {
    c.validate();
  } catch (const Error& e) {
    fail("{}: {}", f.path(), e.what());
  }
  return c;
}

void ModelFamily::write_config(const ModelConfig& c, GgufMetadata& m) const {
  const std::string a(name);
  auto key = [&](std::string_view k) { return fmt::format("{}.{}", a, k); };
  m.set("general.architecture", a);
  m.set(key("vocab_size"), uint32_t(c.n_vocab));
  m.set(key("context_length"), uint32_t(c.n_ctx_train));
  m.set(key("embedding_length"), uint32_t(c.n_embd));
  m.set(key("block_count"), uint32_t(c.n_layer));
  m.set(key("feed_forward_length"), uint32_t(c.n_ff));
  m.set(key("attention.head_count"), uint32_t(c.n_head));
  m.set(key("attention.head_count_kv"), uint32_t(c.n_head_kv));
  m.set(key("attention.layer_norm_rms_epsilon"), c.rms_eps);
  m.set(key("rope.freq_base"), c.rope_theta);
  m.set(key("rope.dimension_count"), uint32_t(c.head_dim));
  if (c.head_dim * c.n_head != c.n_embd) {
    m.set(key("attention.key_length"), uint32_t(c.head_dim));
    m.set(key("attention.value_length"), uint32_t(c.head_dim));
  }
  if (c.rope_freq_scale != 1.0f) {
    m.set(key("rope.scaling.type"), std::string("linear"));
    m.set(key("rope.scaling.factor"), 1.0f / c.rope_freq_scale);
  }
  if (c.ffn_act != ffn_act) {
    LOWBIT_CHECK(reads_hidden_activation, "architecture {} always gates with {}; a {} model cannot be written as it",
                 name, ffn_act_name(ffn_act), ffn_act_name(c.ffn_act));
    m.set(key("hidden_activation"), std::string(ffn_act_name(c.ffn_act)));
  }
  if (write_keys) write_keys(c, m);
}

std::unique_ptr<Model> ModelFamily::load(const ModelConfig& c, const TensorLookup& lookup,
                                         const ModelLoadOptions& opt) const {
  if (make_model) return make_model(*this, c, lookup, opt);
  return std::make_unique<DecoderModel>(*this, c, lookup, opt);
}

}  // namespace lowbit

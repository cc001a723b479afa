#include "model/hf_convert.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <numbers>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/half.hpp"
#include "io/file_util.hpp"
#include "io/gguf_writer.hpp"
#include "io/hf_bitnet.hpp"
#include "io/hf_config.hpp"
#include "io/safetensors_file.hpp"
#include "model/decoder_block.hpp"
#include "model/gguf_model.hpp"
#include "model/matrix.hpp"
#include "quant/weight_quant.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

namespace {

// The safetensors files of a checkpoint: model.safetensors, or the shards
// model.safetensors.index.json lists.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir) {
    const std::string index = dir + "/model.safetensors.index.json";
    if (std::filesystem::exists(index)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(read_file(index));
      } catch (const nlohmann::json::exception& e) {
        fail("{}: not valid JSON: {}", index, e.what());
      }
      LOWBIT_CHECK(j.contains("weight_map") && j["weight_map"].is_object(), "{}: no 'weight_map' object", index);
      std::set<std::string> shards;
      for (const auto& [name, file] : j["weight_map"].items()) {
        LOWBIT_CHECK(file.is_string() && file.get<std::string>().find('/') == std::string::npos,
                     "{}: weight_map entry '{}' is not a file name", index, name);
        shards.insert(file.get<std::string>());
      }
      for (const std::string& s : shards) files_.push_back(SafetensorsFile::open(dir + "/" + s));
    } else {
      const std::string single = dir + "/model.safetensors";
      LOWBIT_CHECK(std::filesystem::exists(single), "{}: no model.safetensors or model.safetensors.index.json", dir);
      files_.push_back(SafetensorsFile::open(single));
    }
    for (const SafetensorsFile& f : files_)
      for (const SafetensorsTensor& t : f.tensors()) {
        LOWBIT_CHECK(!where_.count(t.name), "{}: tensor '{}' is in more than one file", dir, t.name);
        where_[t.name] = &f;
      }
  }
  // The file holding `name`, or null.
  const SafetensorsFile* file_of(std::string_view name) const {
    const auto it = where_.find(std::string(name));
    return it == where_.end() ? nullptr : it->second;
  }
  const std::map<std::string, const SafetensorsFile*>& all() const { return where_; }

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

float float_at(const SafetensorsTensor& t, const std::byte* p, int64_t i) {
  const std::string_view d = t.dtype->name;
  if (d == "F32") {
    float x;
    std::memcpy(&x, p + 4 * i, 4);
    return x;
  }
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  return d == "BF16" ? bf16_to_f32(h) : fp16_to_f32(h);
}

// What one GGUF tensor is made from.
struct Entry {
  std::string hf, gguf;
  std::vector<int64_t> shape;  // [rows, cols] or [n], as HF stores the unpacked weight
  TensorRole role;
  int proj = -1;  // kQ.. for the decoder's projections
};

// config.json's "architectures"[0] ("" when absent), before the family that
// knows the rest of the file is chosen.
std::string hf_architecture(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", path, e.what());
  }
  LOWBIT_CHECK(j.is_object(), "{}: not a JSON object", path);
  const auto a = j.find("architectures");
  if (a == j.end()) return "";
  LOWBIT_CHECK(a->is_array() && !a->empty() && (*a)[0].is_string(),
               "{}: 'architectures' is {}, expected a list of names", path, a->dump());
  return (*a)[0].get<std::string>();
}

class Converter {
 public:
  Converter(const std::string& dir, const ConvertOptions& opt) : dir_(dir), ckpt_(dir), opt_(opt) {
    const std::string config = dir + "/config.json";
    arch_ = hf_architecture(config);
    src_ = find_hf_family(arch_);
    LOWBIT_CHECK(src_, "{}: architecture '{}' is not one lowbit converts ({})", config,
                 arch_.empty() ? "(none)" : arch_, hf_classes());
    if (src_->read_hf_layout) {
      plan_layout(src_->read_hf_layout(config));
    } else {
      cfg_ = load_hf_config(config);
      plan();
    }
  }

  ConvertResult run(const std::string& out_path);

 private:
  static std::string hf_classes() {
    std::string s;
    for (const ModelFamily* f : all_families())
      for (std::string_view c : f->hf_classes) s += (s.empty() ? "" : ", ") + std::string(c);
    return s;
  }
  void plan();
  void plan_layout(HfLayout layout);
  void check_all_used() const;
  void check_tensor(const Entry& e) const;
  ModelConfig model_config() const;
  std::vector<float> read_floats(const Entry& e) const;
  std::vector<float> projection_values(const Entry& e) const;
  void permute_qk(std::vector<float>& w, const Entry& e) const;
  std::vector<float> llama3_rope_factors() const;

  std::string dir_;
  HfConfig cfg_;
  Checkpoint ckpt_;
  ConvertOptions opt_;
  const ModelFamily* src_ = nullptr;
  std::string arch_;                   // config.json's class
  std::optional<ModelConfig> layout_;  // a family with its own layout (read_hf_layout): its config
  bool packed_ = false, latent_ = false, tied_ = false;
  std::vector<Entry> entries_;
};

void Converter::plan() {
  const int64_t V = cfg_.vocab_size, D = cfg_.hidden_size, hd = cfg_.head_dim();
  ModelConfig c;
  c.n_embd = D, c.n_head = cfg_.num_attention_heads, c.n_head_kv = cfg_.num_key_value_heads, c.head_dim = hd;
  c.n_ff = cfg_.intermediate_size;
  // Packed ternary when the checkpoint says so (2B4T's layout, transformers'
  // BitNet quantization); full-precision latent ternary weights for 1bitLLM's
  // BitnetForCausalLM (llama.cpp ternarizes those at conversion); else float.
  const std::string first_proj = std::string(kHfLayerPrefix) + "0." + std::string(kProjections[0].hf) + ".weight";
  const SafetensorsFile* f0 = ckpt_.file_of(first_proj);
  LOWBIT_CHECK(f0, "{}: tensor '{}' is missing", dir_, first_proj);
  packed_ = cfg_.quant_method == "bitnet" || f0->tensor(first_proj).dtype->name == "U8";
  latent_ = !packed_ && src_->ternary_by_default;
  tied_ = cfg_.tie_word_embeddings.value_or(!ckpt_.file_of(kHfOutput));
  LOWBIT_CHECK(tied_ || ckpt_.file_of(kHfOutput), "{}: tensor '{}' is missing (config.json: tie_word_embeddings false)",
               dir_, kHfOutput);
  entries_.push_back({std::string(kHfTokenEmbd), std::string(kTokenEmbd), {V, D}, TensorRole::Embedding});
  entries_.push_back({std::string(kHfOutputNorm), std::string(kOutputNorm), {D}, TensorRole::Vector});
  if (!tied_) entries_.push_back({std::string(kHfOutput), std::string(kOutput), {V, D}, TensorRole::Embedding});
  for (int64_t l = 0; l < cfg_.num_hidden_layers; ++l) {
    const std::string pre = fmt::format("{}{}.", kHfLayerPrefix, l);
    for (const NormSpec& n : kNorms)
      if (!n.sub_norm || src_->sub_norms)
        entries_.push_back({pre + std::string(src_->hf_norms[n.norm]) + ".weight",
                            block_tensor_name(l, n.gguf),
                            {dim_of(c, n.dim)},
                            TensorRole::Vector});
    for (const ProjectionSpec& p : kProjections)
      entries_.push_back({pre + std::string(p.hf) + ".weight",
                          block_tensor_name(l, p.gguf),
                          {dim_of(c, p.out), dim_of(c, p.in)},
                          TensorRole::Projection,
                          p.proj});
  }
  check_all_used();
}

// A family with its own layout: its tensor list, full-precision latent
// ternary projections (every ternary family's HF checkpoints so far) or float.
void Converter::plan_layout(HfLayout layout) {
  layout_ = layout.config;
  cfg_.architecture = arch_;
  cfg_.vocab_size = layout.config.n_vocab;
  cfg_.num_hidden_layers = layout.config.n_layer;
  latent_ = src_->ternary_by_default;
  tied_ = layout.config.tied_output;
  for (FamilyTensor& t : layout.tensors)
    entries_.push_back({std::move(t.hf), std::move(t.gguf), std::move(t.shape), t.role});
  check_all_used();
}

// Every planned tensor is there with its shape and everything in the
// checkpoint is something the plan uses.
void Converter::check_all_used() const {
  std::set<std::string> used;
  for (const Entry& e : entries_) {
    check_tensor(e);
    used.insert(e.hf);
    if (packed_ && e.role == TensorRole::Projection) used.insert(e.hf + "_scale");
  }
  if (tied_) used.insert(std::string(kHfOutput));  // a tied checkpoint may store the copy
  for (const auto& [name, file] : ckpt_.all())
    LOWBIT_CHECK(used.count(name) || name.ends_with("rotary_emb.inv_freq"),
                 "{}: tensor '{}' is not part of a {} model with {} layers (config.json)", file->path(), name,
                 cfg_.architecture, cfg_.num_hidden_layers);
}

void Converter::check_tensor(const Entry& e) const {
  const SafetensorsFile* f = ckpt_.file_of(e.hf);
  LOWBIT_CHECK(f, "{}: tensor '{}' is missing (config.json: {} layers of {})", dir_, e.hf, cfg_.num_hidden_layers,
               cfg_.architecture);
  const SafetensorsTensor& t = f->tensor(e.hf);
  std::vector<int64_t> want = e.shape;
  if (e.role == TensorRole::Projection && packed_) {
    LOWBIT_CHECK(t.dtype->name == "U8" && want[0] % 4 == 0, "{}: '{}' is {}, expected packed U8 (quantization_config)",
                 f->path(), e.hf, t.dtype->name);
    want[0] /= 4;
    const std::string scale = e.hf + "_scale";
    LOWBIT_CHECK(ckpt_.file_of(scale), "{}: tensor '{}' is missing", dir_, scale);
  } else {
    LOWBIT_CHECK(t.dtype->name == "F32" || t.dtype->name == "F16" || t.dtype->name == "BF16",
                 "{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", f->path(), e.hf, t.dtype->name);
  }
  LOWBIT_CHECK(t.shape == want, "{}: tensor '{}' has shape [{}], config.json implies [{}]", f->path(), e.hf,
               fmt::join(t.shape, ", "), fmt::join(want, ", "));
}

ModelConfig Converter::model_config() const {
  if (layout_) return *layout_;
  ModelConfig c;
  c.n_vocab = cfg_.vocab_size, c.n_embd = cfg_.hidden_size, c.n_layer = cfg_.num_hidden_layers;
  c.n_head = cfg_.num_attention_heads, c.n_head_kv = cfg_.num_key_value_heads, c.head_dim = cfg_.head_dim();
  c.n_ff = cfg_.intermediate_size, c.n_ctx_train = cfg_.max_position_embeddings;
  c.rms_eps = cfg_.rms_norm_eps, c.rope_theta = cfg_.rope_theta;
  if (cfg_.rope_scaling.type == "linear") c.rope_freq_scale = 1.0f / cfg_.rope_scaling.factor;
  const auto act = parse_ffn_act(cfg_.hidden_act);
  LOWBIT_CHECK(act, "{}/config.json: hidden_act '{}' is not supported (silu, relu2)", dir_, cfg_.hidden_act);
  c.ffn_act = *act;
  c.validate();
  return c;
}

std::vector<float> Converter::read_floats(const Entry& e) const {
  const SafetensorsFile& f = *ckpt_.file_of(e.hf);
  const SafetensorsTensor& t = f.tensor(e.hf);
  const std::byte* p = f.data(t).data();
  std::vector<float> v(size_t(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[size_t(i)] = float_at(t, p, i);
  return v;
}

// The projection's values as the model multiplies with them.
std::vector<float> Converter::projection_values(const Entry& e) const {
  std::vector<float> v;
  if (packed_) {
    const HfTernaryWeight w = hf_read_ternary(*ckpt_.file_of(e.hf), e.hf.substr(0, e.hf.size() - 7), cfg_);
    v.resize(w.values.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(w.values[i]) * w.scale;
  } else {
    v = read_floats(e);
    if (latent_) {
      // 1bitLLM / llama.cpp: scale = 1 / max(mean |w|, 1e-5), round (half
      // to even, torch.round) and clip to [-1, 1], then divide by the scale.
      double sum = 0;
      for (float x : v) sum += std::fabs(x);
      const float iscale = 1.0f / std::max(float(sum / double(v.size())), 1e-5f);
      for (float& x : v) x = std::clamp(std::nearbyint(x * iscale), -1.0f, 1.0f) / iscale;
    }
  }
  permute_qk(v, e);
  return v;
}

// HF stores q/k rows for rotate_half (pairs i, i + d/2 of a head); llama.cpp's
// `llama` rotates adjacent pairs, so its converter interleaves the two halves
// of every head: GGUF row h*d + 2i + j is HF row h*d + j*d/2 + i.
void Converter::permute_qk(std::vector<float>& w, const Entry& e) const {
  if (!src_->hf_permute_qk || (e.proj != kQ && e.proj != kK)) return;
  const int64_t heads = e.proj == kQ ? cfg_.num_attention_heads : cfg_.num_key_value_heads;
  const int64_t rows = e.shape[0], cols = e.shape[1], hd = rows / heads, half = hd / 2;
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j)
        std::copy_n(w.begin() + (h * hd + j * half + i) * cols, cols, out.begin() + (h * hd + 2 * i + j) * cols);
  w.swap(out);
}

// llama-3's rope scaling as per-frequency divisors (the rope_freqs tensor
// llama.cpp's converter writes): wavelengths shorter than
// original_ctx / high_freq_factor keep theirs, longer than original_ctx /
// low_freq_factor are divided by factor, and the band between blends.
std::vector<float> Converter::llama3_rope_factors() const {
  const HfRopeScaling& r = cfg_.rope_scaling;
  const int64_t hd = cfg_.head_dim();
  const double old_ctx = double(r.original_max_position_embeddings);
  const double low_wavelen = old_ctx / r.low_freq_factor, high_wavelen = old_ctx / r.high_freq_factor;
  std::vector<float> f(size_t(hd / 2));
  for (int64_t i = 0; i < hd / 2; ++i) {
    const double freq = 1.0 / std::pow(double(cfg_.rope_theta), double(2 * i) / double(hd));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    if (wavelen < high_wavelen) f[size_t(i)] = 1.0f;
    else if (wavelen > low_wavelen) f[size_t(i)] = r.factor;
    else {
      const double smooth = (old_ctx / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      f[size_t(i)] = float(1.0 / ((1.0 - smooth) / r.factor + smooth));
    }
  }
  return f;
}

ConvertResult Converter::run(const std::string& out_path) {
  ConvertResult res;
  res.source = src_;
  res.ternary = packed_ || latent_;
  res.type = opt_.type ? opt_.type : &format_traits(res.ternary ? Format::I2_S : Format::F16);
  const FormatTraits& type = *res.type;
  LOWBIT_CHECK(type.exportable, "convert: projection type {} is not one of {}", type.name,
               format_names_with(&FormatTraits::exportable));
  res.arch = std::string(src_->gguf_arch_for(type.format));
  LOWBIT_CHECK(opt_.arch.empty() || opt_.arch == res.arch,
               "convert: a {} checkpoint in {} is written as architecture '{}' (the one its peer reads), not '{}'",
               cfg_.architecture, type.name, res.arch, opt_.arch);
  const ModelFamily* target = find_family(res.arch);
  LOWBIT_CHECK(target, "convert: architecture '{}' has no family", res.arch);

  const std::string tok_json = dir_ + "/tokenizer.json";
  LOWBIT_CHECK(std::filesystem::exists(tok_json), "{}: no tokenizer.json", dir_);
  Tokenizer tok = Tokenizer::load_hf_json(tok_json);
  if (std::filesystem::exists(dir_ + "/tokenizer_config.json"))
    tok.apply_hf_config(read_file(dir_ + "/tokenizer_config.json"), dir_ + "/tokenizer_config.json");
  LOWBIT_CHECK(tok.n_vocab() <= cfg_.vocab_size, "{}: tokenizer.json has {} tokens, more than vocab_size {}", dir_,
               tok.n_vocab(), cfg_.vocab_size);

  ModelConfig mc = model_config();
  mc.arch = res.arch;
  GgufWriter w;
  target->write_config(mc, w.metadata());
  w.metadata().set("general.name", std::filesystem::path(dir_).filename().string());
  w.metadata().set("general.alignment", uint32_t(kGgufDefaultAlignment));
  GgufVocab vocab = tok.to_gguf();
  pad_vocab(vocab, cfg_.vocab_size);
  vocab_to_gguf(vocab, w.metadata());

  const FormatTraits& f32 = format_traits(Format::F32);
  const FormatTraits& f16 = format_traits(Format::F16);
  const size_t total = entries_.size();
  size_t done = 0;
  auto tick = [&] {
    if (opt_.progress) opt_.progress(++done, total);
  };
  if (cfg_.rope_scaling.type == "llama3") {
    const std::vector<float> factors = llama3_rope_factors();
    w.add_tensor(std::string(kRopeFreqs), f32, Shape{int64_t(factors.size())},
                 [factors](std::span<std::byte> out) { std::memcpy(out.data(), factors.data(), factors.size() * 4); });
  }
  for (const Entry& e : entries_) {
    const bool is_proj = e.role == TensorRole::Projection;
    const FormatTraits& fmt = is_proj ? type : (e.role == TensorRole::Vector ? f32 : f16);
    const Shape shape(std::span<const int64_t>(e.shape));
    w.add_tensor(e.gguf, fmt, shape, [this, &e, &fmt, is_proj, &tick](std::span<std::byte> out) {
      std::vector<float> v = is_proj ? projection_values(e) : read_floats(e);
      // A float checkpoint asked for ternary: BitNet b1.58's absmean rule.
      if (is_proj && !(packed_ || latent_) && is_ternary_format(fmt))
        v = absmean_ternary_values(v.data(), int64_t(v.size()));
      fmt.from_float(v.data(), out.data(), int64_t(v.size()));
      tick();
    });
  }
  w.write(out_path);
  return res;
}

}  // namespace

ConvertResult convert_hf(const std::string& hf_dir, const std::string& out_path, const ConvertOptions& opt) {
  LOWBIT_CHECK(std::filesystem::is_directory(hf_dir), "{}: not a directory (expected a Hugging Face checkpoint)",
               hf_dir);
  LOWBIT_CHECK(std::filesystem::exists(hf_dir + "/config.json"), "{}: no config.json", hf_dir);
  Converter c(hf_dir, opt);
  return c.run(out_path);
}

}  // namespace lowbit

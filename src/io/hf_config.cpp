#include "io/hf_config.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace lowbit {

namespace {
using json = nlohmann::json;

int64_t positive(const json& j, const char* key, const std::string& src) {
  const auto it = j.find(key);
  LOWBIT_CHECK(it != j.end(), "{}: '{}' is missing", src, key);
  LOWBIT_CHECK(it->is_number_integer() && it->get<int64_t>() > 0 && it->get<int64_t>() <= (int64_t(1) << 31),
               "{}: '{}' is {}, expected a positive integer", src, key, it->dump());
  return it->get<int64_t>();
}

float number(const json& j, const char* key, float fallback, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  LOWBIT_CHECK(it->is_number() && it->get<double>() > 0, "{}: '{}' is {}, expected a positive number", src, key,
               it->dump());
  return it->get<float>();
}

int64_t token_id(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}
}  // namespace

namespace {

std::string optional_string(const json& j, const char* key, std::string fallback, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  LOWBIT_CHECK(it->is_string(), "{}: '{}' is {}, expected a string", src, key, it->dump());
  return it->get<std::string>();
}

HfRopeScaling parse_rope_scaling(const json& j, const std::string& src) {
  HfRopeScaling r;
  const auto it = j.find("rope_scaling");
  if (it == j.end() || it->is_null()) return r;
  LOWBIT_CHECK(it->is_object(), "{}: 'rope_scaling' is not an object", src);
  r.type = optional_string(*it, "rope_type", optional_string(*it, "type", "", src), src);
  LOWBIT_CHECK(r.type == "linear" || r.type == "llama3" || r.type == "default",
               "{}: rope_scaling type '{}' is not supported (linear, llama3)", src, r.type);
  if (r.type == "default") r.type.clear();
  r.factor = number(*it, "factor", 1.0f, src);
  r.low_freq_factor = number(*it, "low_freq_factor", r.low_freq_factor, src);
  r.high_freq_factor = number(*it, "high_freq_factor", r.high_freq_factor, src);
  if (it->contains("original_max_position_embeddings"))
    r.original_max_position_embeddings = positive(*it, "original_max_position_embeddings", src);
  LOWBIT_CHECK(r.high_freq_factor > r.low_freq_factor, "{}: rope_scaling high_freq_factor {} <= low_freq_factor {}",
               src, r.high_freq_factor, r.low_freq_factor);
  return r;
}

}  // namespace

nlohmann::json parse_config_object(std::string_view text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", source, e.what());
  }
  LOWBIT_CHECK(j.is_object(), "{}: not a JSON object", source);
  return j;
}

HfConfig parse_hf_config(std::string_view text, const std::string& source) {
  const std::string& src = source;
  const json j = parse_config_object(text, src);
  HfConfig c;
  if (const auto a = j.find("architectures"); a != j.end()) {
    LOWBIT_CHECK(a->is_array() && !a->empty() && (*a)[0].is_string(),
                 "{}: 'architectures' is {}, expected a list of names", src, a->dump());
    c.architecture = (*a)[0].get<std::string>();
  }
  c.model_type = optional_string(j, "model_type", "", src);
  // Counts are capped so absurd files fail here, not in an allocation.
  c.hidden_size = positive(j, "hidden_size", src);
  c.num_hidden_layers = positive(j, "num_hidden_layers", src);
  LOWBIT_CHECK(c.num_hidden_layers <= 4096, "{}: 'num_hidden_layers' is {}, more than 4096", src, c.num_hidden_layers);
  c.num_attention_heads = positive(j, "num_attention_heads", src);
  c.num_key_value_heads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                              ? positive(j, "num_key_value_heads", src)
                              : c.num_attention_heads;
  if (j.contains("head_dim") && !j["head_dim"].is_null()) c.head_dim_ = positive(j, "head_dim", src);
  c.intermediate_size = positive(j, "intermediate_size", src);
  c.vocab_size = positive(j, "vocab_size", src);
  c.max_position_embeddings = positive(j, "max_position_embeddings", src);
  LOWBIT_CHECK(c.max_position_embeddings <= (int64_t(1) << 21), "{}: 'max_position_embeddings' is {}, more than {}",
               src, c.max_position_embeddings, int64_t(1) << 21);
  c.rms_norm_eps = number(j, "rms_norm_eps", c.rms_norm_eps, src);
  c.rope_theta = number(j, "rope_theta", c.rope_theta, src);
  c.rope_scaling = parse_rope_scaling(j, src);
  c.hidden_act = optional_string(j, "hidden_act", c.hidden_act, src);
  if (const auto t = j.find("tie_word_embeddings"); t != j.end()) {
    LOWBIT_CHECK(t->is_boolean(), "{}: 'tie_word_embeddings' is not a bool", src);
    c.tie_word_embeddings = t->get<bool>();
  }
  c.bos_token_id = token_id(j, "bos_token_id");
  c.eos_token_id = token_id(j, "eos_token_id");
  if (const auto q = j.find("quantization_config"); q != j.end() && q->is_object()) {
    c.quant_method = optional_string(*q, "quant_method", "", src);
    c.linear_class = optional_string(*q, "linear_class", c.linear_class, src);
    c.quantization_mode = optional_string(*q, "quantization_mode", c.quantization_mode, src);
  }
  LOWBIT_CHECK(c.linear_class == "bitlinear" || c.linear_class == "autobitlinear",
               "{}: quantization_config.linear_class '{}' is unknown", src, c.linear_class);
  LOWBIT_CHECK(c.head_dim_ || c.hidden_size % c.num_attention_heads == 0,
               "{}: hidden_size {} is not a multiple of num_attention_heads {}", src, c.hidden_size,
               c.num_attention_heads);
  LOWBIT_CHECK(c.num_attention_heads % c.num_key_value_heads == 0,
               "{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", src, c.num_attention_heads,
               c.num_key_value_heads);
  return c;
}

HfConfig load_hf_config(const std::string& path) { return parse_hf_config(read_file(path), path); }

}  // namespace lowbit

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

HfBitnetConfig parse_hf_bitnet_config(std::string_view text, const std::string& src) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", src, e.what());
  }
  LOWBIT_CHECK(j.is_object(), "{}: not a JSON object", src);
  if (const auto mt = j.find("model_type"); mt != j.end())
    LOWBIT_CHECK(mt->is_string() && mt->get<std::string>() == "bitnet", "{}: model_type is {}, expected \"bitnet\"",
                 src, mt->dump());
  HfBitnetConfig c;
  c.hidden_size = positive(j, "hidden_size", src);
  c.num_hidden_layers = positive(j, "num_hidden_layers", src);
  c.num_attention_heads = positive(j, "num_attention_heads", src);
  c.num_key_value_heads = j.contains("num_key_value_heads") ? positive(j, "num_key_value_heads", src)
                                                            : c.num_attention_heads;
  c.intermediate_size = positive(j, "intermediate_size", src);
  c.vocab_size = positive(j, "vocab_size", src);
  c.max_position_embeddings = positive(j, "max_position_embeddings", src);
  c.rms_norm_eps = number(j, "rms_norm_eps", c.rms_norm_eps, src);
  c.rope_theta = number(j, "rope_theta", c.rope_theta, src);
  if (const auto a = j.find("hidden_act"); a != j.end()) {
    LOWBIT_CHECK(a->is_string(), "{}: 'hidden_act' is not a string", src);
    c.hidden_act = a->get<std::string>();
  }
  LOWBIT_CHECK(c.hidden_act == "relu2", "{}: hidden_act '{}' is not supported (BitNet b1.58 uses relu2)", src,
               c.hidden_act);
  if (const auto t = j.find("tie_word_embeddings"); t != j.end()) {
    LOWBIT_CHECK(t->is_boolean(), "{}: 'tie_word_embeddings' is not a bool", src);
    c.tie_word_embeddings = t->get<bool>();
  }
  c.bos_token_id = token_id(j, "bos_token_id");
  c.eos_token_id = token_id(j, "eos_token_id");
  if (const auto q = j.find("quantization_config"); q != j.end() && q->is_object()) {
    if (const auto lc = q->find("linear_class"); lc != q->end() && lc->is_string()) c.linear_class = lc->get<std::string>();
    if (const auto m = q->find("quantization_mode"); m != q->end() && m->is_string())
      c.quantization_mode = m->get<std::string>();
  }
  LOWBIT_CHECK(c.linear_class == "bitlinear" || c.linear_class == "autobitlinear",
               "{}: quantization_config.linear_class '{}' is unknown", src, c.linear_class);
  LOWBIT_CHECK(c.hidden_size % c.num_attention_heads == 0,
               "{}: hidden_size {} is not a multiple of num_attention_heads {}", src, c.hidden_size,
               c.num_attention_heads);
  LOWBIT_CHECK(c.num_attention_heads % c.num_key_value_heads == 0,
               "{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", src, c.num_attention_heads,
               c.num_key_value_heads);
  return c;
}

HfBitnetConfig load_hf_bitnet_config(const std::string& path) { return parse_hf_bitnet_config(read_file(path), path); }

}  // namespace lowbit

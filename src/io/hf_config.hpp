// config.json of a Hugging Face causal LM checkpoint (BitNetForCausalLM,
// BitnetForCausalLM, LlamaForCausalLM, ...), read and checked so that a
// converter can rely on every field. Which architecture it is and what that
// means is the model families' business (model/family.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lowbit {

struct HfRopeScaling {
  std::string type;  // "" (none), "linear", "llama3"
  float factor = 1.0f;
  float low_freq_factor = 1.0f, high_freq_factor = 4.0f;  // llama3
  int64_t original_max_position_embeddings = 8192;        // llama3
};

struct HfConfig {
  std::string architecture;  // "architectures"[0]
  std::string model_type;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads when absent
  int64_t head_dim_ = 0;            // "head_dim" when present, else hidden_size / num_attention_heads
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  HfRopeScaling rope_scaling;
  std::string hidden_act = "silu";
  std::optional<bool> tie_word_embeddings;       // absent: tied exactly when there is no lm_head
  int64_t bos_token_id = -1, eos_token_id = -1;  // -1 when absent
  // quantization_config: quant_method "bitnet" means packed ternary weights
  // with a weight_scale each; linear_class "bitlinear" (the default) or
  // "autobitlinear" decides how weight_scale applies.
  std::string quant_method;
  std::string linear_class = "bitlinear";
  std::string quantization_mode = "offline";

  int64_t head_dim() const { return head_dim_ ? head_dim_ : hidden_size / num_attention_heads; }
};

// config.json text as a JSON object (the other families' readers start
// here too); errors name `source`.
nlohmann::json parse_config_object(std::string_view text, const std::string& source);

// Parses config.json text; `source` names the file in errors.
HfConfig parse_hf_config(std::string_view text, const std::string& source);
HfConfig load_hf_config(const std::string& path);

}  // namespace lowbit

// config.json of a Hugging Face BitNet b1.58 checkpoint (model_type
// "bitnet", BitNetForCausalLM; e.g. microsoft/bitnet-b1.58-2B-4T), read and
// checked so that a converter can rely on every field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lowbit {

struct HfBitnetConfig {
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads when absent
  int64_t intermediate_size = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  std::string hidden_act = "relu2";
  bool tie_word_embeddings = true;
  int64_t bos_token_id = -1, eos_token_id = -1;  // -1 when absent
  // quantization_config.linear_class: "bitlinear" (the default, the packed
  // checkpoint's layer) or "autobitlinear"; decides how weight_scale applies.
  std::string linear_class = "bitlinear";
  std::string quantization_mode = "offline";

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
};

// Parses config.json text; `source` names the file in errors.
HfBitnetConfig parse_hf_bitnet_config(std::string_view json_text, const std::string& source);
HfBitnetConfig load_hf_bitnet_config(const std::string& path);

}  // namespace lowbit

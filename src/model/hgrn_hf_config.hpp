// config.json of a Hugging Face HGRNBitForCausalLM checkpoint
// (matmulfreellm's HGRNBitConfig, model_type "hgrn_bit"), read and checked
// into a ModelConfig: n_head = num_heads, head_dim = hidden_size *
// expand_ratio / num_heads (so q_dim() is the recurrence width), n_ff =
// intermediate_size or HGRNBitMLP's default from hidden_ratio. Settings
// lowbit does not run (use_short_conv, another attn_mode) are errors naming
// the key. tied_output: tie_word_embeddings.
#pragma once

#include <string>
#include <string_view>

#include "model/config.hpp"

namespace lowbit {

struct HgrnHfConfig {
  ModelConfig config;
  bool lower_bounds = true;  // use_lower_bound
};

HgrnHfConfig parse_hgrn_hf_config(std::string_view text, const std::string& src);
HgrnHfConfig load_hgrn_hf_config(const std::string& path);

}  // namespace lowbit

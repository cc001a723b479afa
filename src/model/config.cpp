#include "model/config.hpp"

#include "core/error.hpp"

namespace lowbit {

std::string_view ffn_act_name(FfnAct a) { return a == FfnAct::Relu2 ? "relu2" : "silu"; }

std::optional<FfnAct> parse_ffn_act(std::string_view name) {
  if (name == "relu2" || name == "relu_sqr" || name == "relu_squared") return FfnAct::Relu2;
  if (name == "silu" || name == "swish") return FfnAct::Silu;
  return std::nullopt;
}

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* name) {
    LOWBIT_CHECK(v > 0 && v < (int64_t(1) << 31), "model config: {} = {} is out of range", name, v);
  };
  positive(n_vocab, "vocab size");
  positive(n_embd, "embedding_length");
  positive(n_layer, "block_count");
  positive(n_head, "attention.head_count");
  positive(n_head_kv, "attention.head_count_kv");
  positive(head_dim, "head dimension");
  positive(n_ff, "feed_forward_length");
  LOWBIT_CHECK(n_head % n_head_kv == 0, "model config: head_count {} is not a multiple of head_count_kv {}", n_head,
               n_head_kv);
  LOWBIT_CHECK(head_dim % 2 == 0, "model config: head dimension {} must be even for rotary embeddings", head_dim);
  LOWBIT_CHECK(rms_eps > 0 && rms_eps < 1, "model config: layer_norm_rms_epsilon {} is out of range", rms_eps);
  LOWBIT_CHECK(rope_theta > 0, "model config: rope.freq_base {} must be positive", rope_theta);
  LOWBIT_CHECK(rope_freq_scale > 0, "model config: rope scaling {} must be positive", rope_freq_scale);
  LOWBIT_CHECK(rope_freq_factors.empty() || int64_t(rope_freq_factors.size()) == head_dim / 2,
               "model config: {} rope frequency factors for head dimension {}", rope_freq_factors.size(), head_dim);
}

}  // namespace lowbit

// Hyper-parameters of a BitNet-style decoder, read from GGUF metadata
// (`<arch>.block_count`, ...) or from a Hugging Face config.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/linear_layer.hpp"
#include "nn/rope.hpp"

namespace lowbit {

enum class FfnAct { Relu2, Silu };  // 2B4T: relu^2 gate; LLaMA and the 1bitLLM models: SiLU
std::string_view ffn_act_name(FfnAct a);                    // "relu2", "silu"
std::optional<FfnAct> parse_ffn_act(std::string_view name);  // also "relu_sqr"; nullopt if unknown

struct ModelConfig {
  std::string arch = "bitnet-b1.58";  // GGUF general.architecture (model/family.hpp)
  int64_t n_vocab = 0;
  int64_t n_embd = 0;       // hidden size
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;     // n_embd / n_head unless stated
  int64_t n_ff = 0;         // FFN intermediate size
  int64_t n_ctx_train = 4096;
  float rope_theta = 500000.0f;
  RopeStyle rope_style = RopeStyle::Neox;
  float rope_freq_scale = 1.0f;  // linear rope scaling: positions times this (1 / rope.scaling.factor)
  // Per-frequency divisors of the rope angles (llama-3 scaling, the
  // `rope_freqs.weight` tensor), head_dim / 2 of them; empty: none.
  std::vector<float> rope_freq_factors;
  float rms_eps = 1e-5f;
  FfnAct ffn_act = FfnAct::Relu2;
  bool tied_output = true;   // logits from token_embd when there is no output.weight
  bool sub_norms = true;     // attn_sub_norm before o_proj, ffn_sub_norm before down_proj
  int bos_id = -1, eos_id = -1, eot_id = -1;
  // Projections of lowbit-trained models that are not plain ternary or
  // float, by tensor name without ".weight" ("blk.0.attn_output"): the
  // layer type and options to build from the stored f32 weight.
  std::map<std::string, std::pair<LinearType, LinearOptions>> layer_types;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
  void validate() const;  // throws Error naming the first bad field
};

}  // namespace lowbit

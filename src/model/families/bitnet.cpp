// llama.cpp's `bitnet` architecture: the 1bitLLM BitNet b1.58 models
// (Hugging Face `BitnetForCausalLM`, full-precision latent weights that the
// converter ternarizes with absmean) and any BitNet model llama.cpp runs.
// Blocks have BitNet's two sub-norms; rope pairs (i, i + d/2) (llama.cpp's
// NEOX type for this arch, no Q/K permutation at conversion); the gate is
// SiLU unless `bitnet.hidden_activation` says relu2 (2B4T converted for
// llama.cpp). Optional per-projection `blk.N.<proj>.scale` tensors multiply
// the projection's output. Projections: TQ1_0, TQ2_0, I2_S (bitnet.cpp's
// 1bitLLM files) or float ternary x scale.
#include "model/family.hpp"

namespace lowbit {

const ModelFamily& family_bitnet() {
  static const ModelFamily f = [] {
    ModelFamily f;
    f.name = "bitnet";
    f.about = "BitNet b1.58 (llama.cpp's bitnet: sub-norms, SiLU or relu^2 gate)";
    f.ffn_act = FfnAct::Silu;
    f.reads_hidden_activation = true;
    f.rope_style = RopeStyle::Neox;
    f.sub_norms = true;
    f.projection_scales = true;
    f.hf_classes = {"BitnetForCausalLM"};
    f.hf_norms = {"input_layernorm", "self_attn.inner_attn_ln", "post_attention_layernorm", "mlp.ffn_layernorm"};
    f.gguf_arch_for = [](Format) { return std::string_view("bitnet"); };
    return f;
  }();
  return f;
}

}  // namespace lowbit

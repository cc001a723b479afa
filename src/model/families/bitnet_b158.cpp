// bitnet.cpp's `bitnet-b1.58` architecture: Microsoft's BitNet b1.58 2B4T
// (Hugging Face `BitNetForCausalLM`: ternary weights packed four a byte with
// a per-tensor `weight_scale`). BitNet sub-norms, relu^2 gate, rope pairs
// (i, i + d/2), tied head. Its I2_S files are what bitnet.cpp runs; a
// TQ1_0/TQ2_0/F16 conversion is written as llama.cpp's `bitnet` with
// `bitnet.hidden_activation = relu2`, which llama.cpp runs.
#include "model/family.hpp"

namespace lowbit {

const ModelFamily& family_bitnet_b158() {
  static const ModelFamily f = [] {
    ModelFamily f;
    f.name = "bitnet-b1.58";
    f.also_reads = {"bitnet-25"};
    f.about = "BitNet b1.58 2B4T (bitnet.cpp: sub-norms, relu^2 gate)";
    f.ffn_act = FfnAct::Relu2;
    f.rope_style = RopeStyle::Neox;
    f.sub_norms = true;
    f.default_ctx = 4096;
    f.hf_classes = {"BitNetForCausalLM"};
    f.hf_norms = {"input_layernorm", "self_attn.attn_sub_norm", "post_attention_layernorm", "mlp.ffn_sub_norm"};
    f.gguf_arch_for = [](Format t) { return std::string_view(t == Format::I2_S ? "bitnet-b1.58" : "bitnet"); };
    return f;
  }();
  return f;
}

}  // namespace lowbit

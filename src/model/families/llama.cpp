// llama.cpp's `llama` architecture, with any mix of ternary (TQ1_0, TQ2_0,
// I2_S: W1.58 x A8 with per-token int8 activations, as bitnet.cpp runs
// them) and float (F32, F16, BF16, Q8_0) projections: the plain LLaMA
// models, and the 1.58-bit ones bitnet.cpp converts as `LlamaForCausalLM`
// (Llama3-8B-1.58-100B-tokens, the Falcon3 1.58-bit family). No sub-norms,
// SiLU gate, a separate `output.weight` unless tied. Rope pairs adjacent
// values (llama.cpp's "normal" type): the converter permutes the Q/K rows
// of the HF checkpoint into that order. llama-3 rope scaling comes as the
// `rope_freqs.weight` tensor; linear scaling as rope.scaling.* keys.
// `--int8` runs the float projections through LLM.int8.
//
// This family was added as one file (plus its tests): the block structure
// is the shared decoder's, everything particular is in the fields below.
#include "model/family.hpp"

namespace lowbit {

const ModelFamily& family_llama() {
  static const ModelFamily f = [] {
    ModelFamily f;
    f.name = "llama";
    f.about = "LLaMA (llama.cpp's llama: no sub-norms, SiLU gate; ternary or float projections)";
    f.ffn_act = FfnAct::Silu;
    f.rope_style = RopeStyle::Interleaved;
    f.sub_norms = false;
    f.ternary_by_default = false;
    f.default_ctx = 4096;
    f.hf_classes = {"LlamaForCausalLM"};
    f.hf_norms = {"input_layernorm", "", "post_attention_layernorm", ""};
    f.hf_permute_qk = true;
    f.gguf_arch_for = [](Format) { return std::string_view("llama"); };
    return f;
  }();
  return f;
}

}  // namespace lowbit

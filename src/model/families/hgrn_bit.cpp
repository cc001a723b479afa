// `hgrn-bit`: the MatMul-free LM (Zhu et al. 2024; matmulfreellm's
// HGRNBitForCausalLM, the MMfreeLM-370M/1.3B/2.7B checkpoints). Not a
// transformer: a gated linear recurrence (HGRN-Bit) replaces attention, so
// the per-sequence state is E floats a layer (model/hgrn_state.*), and
// every projection, the head included, is a FusedBitLinear (RMSNorm inside,
// W1.58 x A8). Its block is its own (model/hgrn_model.*, names in
// model/hgrn_block.hpp; docs/MATH.md S6). No llama.cpp or bitnet.cpp
// architecture exists for it: the GGUF layout is lowbit's (docs/FORMATS.md).
#include "model/family.hpp"
#include "model/hgrn_block.hpp"
#include "model/hgrn_hf_config.hpp"
#include "model/hgrn_model.hpp"

namespace lowbit {

const ModelFamily& family_hgrn_bit() {
  static const ModelFamily f = [] {
    ModelFamily f;
    f.name = "hgrn-bit";
    f.about = "HGRN-Bit, the MatMul-free LM (recurrent token mixer, FusedBitLinear everywhere)";
    f.ffn_act = FfnAct::Silu;
    f.sub_norms = false;
    f.ternary_by_default = true;
    f.default_ctx = 2048;
    f.hf_classes = {"HGRNBitForCausalLM"};
    f.gguf_arch_for = [](Format) { return std::string_view("hgrn-bit"); };
    f.make_model = [](const ModelFamily& fam, const ModelConfig& c, const TensorLookup& lookup,
                      const ModelLoadOptions&) -> std::unique_ptr<Model> {
      return std::make_unique<HgrnModel>(fam, c, lookup);
    };
    f.tensors = [](const ModelConfig& c) { return hgrn_tensors(c); };
    f.read_hf_layout = [](const std::string& path) {
      const HgrnHfConfig h = load_hgrn_hf_config(path);
      return HfLayout{h.config, hgrn_tensors(h.config, h.lower_bounds)};
    };
    return f;
  }();
  return f;
}

}  // namespace lowbit

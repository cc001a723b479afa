// The tensors of an HGRN-Bit model (the MatMul-free LM, docs/MATH.md S6),
// described once: GGUF names (lowbit's choice: llama.cpp has no such
// architecture; see docs/FORMATS.md), Hugging Face names
// (HGRNBitForCausalLM) and shapes. The model, `convert` and `random-model`
// read names from here; no other file spells them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/config.hpp"
#include "model/family.hpp"

namespace lowbit {

// The six FusedBitLinear projections of a block. Each has a weight
// (blk.N.<gguf>.weight) and the RMSNorm weight applied inside it
// (blk.N.<gguf>.norm).
enum HgrnProj { kHgrnI, kHgrnF, kHgrnG, kHgrnO, kHgrnGateUp, kHgrnDown, kHgrnProjCount };
// The dimensions: D (n_embd), E (recurrence width, n_head * head_dim), F (n_ff), 2F.
enum class HgrnDim : uint8_t { Embd, Width, Ff, Ff2 };
int64_t hgrn_dim(const ModelConfig& c, HgrnDim d);

struct HgrnProjSpec {
  HgrnProj proj;
  std::string_view gguf;  // blk.N.<gguf>.weight, blk.N.<gguf>.norm
  std::string_view hf;    // model.layers.N.<hf>.weight, model.layers.N.<hf>.norm.weight
  HgrnDim out, in;
};
inline constexpr std::array<HgrnProjSpec, kHgrnProjCount> kHgrnProjections{{
    {kHgrnI, "attn_i", "attn.i_proj", HgrnDim::Width, HgrnDim::Embd},
    {kHgrnF, "attn_f", "attn.f_proj", HgrnDim::Width, HgrnDim::Embd},
    {kHgrnG, "attn_g", "attn.g_proj", HgrnDim::Width, HgrnDim::Embd},
    {kHgrnO, "attn_output", "attn.o_proj", HgrnDim::Embd, HgrnDim::Width},
    {kHgrnGateUp, "ffn_gate_up", "mlp.gate_proj", HgrnDim::Ff2, HgrnDim::Embd},
    {kHgrnDown, "ffn_down", "mlp.down_proj", HgrnDim::Embd, HgrnDim::Ff},
}};

// The block's own norms.
enum HgrnNorm { kHgrnAttnNorm, kHgrnSubNorm, kHgrnFfnNorm, kHgrnNormCount };
struct HgrnNormSpec {
  HgrnNorm norm;
  std::string_view gguf, hf;
  HgrnDim dim;
};
inline constexpr std::array<HgrnNormSpec, kHgrnNormCount> kHgrnNorms{{
    {kHgrnAttnNorm, "attn_norm", "attn_norm", HgrnDim::Embd},
    // FusedRMSNormSwishGate: where BitNet's attn_sub_norm sits (before the
    // output projection), here gated by swish(recurrence output).
    {kHgrnSubNorm, "attn_sub_norm", "attn.g_norm", HgrnDim::Width},
    {kHgrnFfnNorm, "ffn_norm", "mlp_norm", HgrnDim::Embd},
}};

// Outside the blocks: token_embd.weight, output_norm.weight, output.weight
// (decoder_block.hpp's names) and these.
inline constexpr std::string_view kHgrnLowerBounds = "lower_bounds.weight";  // [L, D], optional
inline constexpr std::string_view kHgrnOutputInNorm = "output.norm";         // lm_head's own RMSNorm
inline constexpr std::string_view kHgrnHfEmbd = "model.embeddings.weight";
inline constexpr std::string_view kHgrnHfLowerBounds = "model.lower_bounds";

// The RMSNorm epsilon inside every FusedBitLinear (layer_norm_linear_quant_fn's default).
inline constexpr float kHgrnProjEps = 1e-6f;

// Every tensor of an HGRN-Bit model with config c (ModelFamily::tensors);
// lower bounds when `lower_bounds`.
std::vector<FamilyTensor> hgrn_tensors(const ModelConfig& c, bool lower_bounds = true);

}  // namespace lowbit

// The tensors of a pre-norm decoder block (LLaMA / BitNet), described once:
// the seven projections and the four norms with their GGUF names (llama.cpp's
// `blk.N.*`), their Hugging Face names and their shapes. The inference
// model, the trainer, `quantize`, `random-model`, `convert` and `info` read
// names and shapes from here; no other file spells them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/config.hpp"

namespace lowbit {

// The dimensions a block tensor is made of.
enum class Dim : uint8_t { Embd, QDim, KvDim, Ff };
int64_t dim_of(const ModelConfig& c, Dim d);

// The seven projections, in this order everywhere (training specs, fused
// groups, per-projection `.scale` tensors).
enum Proj { kQ, kK, kV, kO, kGate, kUp, kDown, kProjCount };

struct ProjectionSpec {
  Proj proj;
  std::string_view gguf;  // blk.N.<gguf>.weight
  std::string_view hf;    // model.layers.N.<hf>.weight
  Dim out, in;            // the weight is [out, in] (rows, cols)
  bool writes_residual;   // its output is added to the residual stream
};
inline constexpr std::array<ProjectionSpec, kProjCount> kProjections{{
    {kQ, "attn_q", "self_attn.q_proj", Dim::QDim, Dim::Embd, false},
    {kK, "attn_k", "self_attn.k_proj", Dim::KvDim, Dim::Embd, false},
    {kV, "attn_v", "self_attn.v_proj", Dim::KvDim, Dim::Embd, false},
    {kO, "attn_output", "self_attn.o_proj", Dim::Embd, Dim::QDim, true},
    {kGate, "ffn_gate", "mlp.gate_proj", Dim::Ff, Dim::Embd, false},
    {kUp, "ffn_up", "mlp.up_proj", Dim::Ff, Dim::Embd, false},
    {kDown, "ffn_down", "mlp.down_proj", Dim::Embd, Dim::Ff, true},
}};

enum Norm { kAttnNorm, kAttnSubNorm, kFfnNorm, kFfnSubNorm, kNormCount };
struct NormSpec {
  Norm norm;
  std::string_view gguf;  // blk.N.<gguf>.weight
  Dim dim;
  bool sub_norm;  // BitNet's extra norm before o_proj / down_proj
};
inline constexpr std::array<NormSpec, kNormCount> kNorms{{
    {kAttnNorm, "attn_norm", Dim::Embd, false},
    {kAttnSubNorm, "attn_sub_norm", Dim::QDim, true},
    {kFfnNorm, "ffn_norm", Dim::Embd, false},
    {kFfnSubNorm, "ffn_sub_norm", Dim::Ff, true},
}};

// Tensors outside the blocks.
inline constexpr std::string_view kTokenEmbd = "token_embd.weight";
inline constexpr std::string_view kOutputNorm = "output_norm.weight";
inline constexpr std::string_view kOutput = "output.weight";
inline constexpr std::string_view kRopeFreqs = "rope_freqs.weight";  // llama-3 rope scaling factors

// Their Hugging Face names (every family's checkpoints use these).
inline constexpr std::string_view kHfTokenEmbd = "model.embed_tokens.weight";
inline constexpr std::string_view kHfOutputNorm = "model.norm.weight";
inline constexpr std::string_view kHfOutput = "lm_head.weight";
inline constexpr std::string_view kHfLayerPrefix = "model.layers.";  // + N + "." + per-layer name

// "attn_q", ..., "ffn_down" (null-terminated: the table holds literals).
inline const char* proj_gguf_name(int p) { return kProjections[size_t(p)].gguf.data(); }

// "blk.3.attn_q.weight" (suffix ".weight", or ".scale" for llama.cpp's
// optional per-projection scales).
std::string block_tensor_name(int64_t layer, std::string_view gguf, std::string_view suffix = ".weight");
// The projection a GGUF tensor name is ("blk.3.ffn_up.weight" -> kUp), if any.
std::optional<Proj> projection_of(std::string_view gguf_tensor_name);
// Its layer ("blk.3.ffn_up.weight" -> 3), if it is a block tensor.
std::optional<int64_t> layer_of(std::string_view gguf_tensor_name);

}  // namespace lowbit

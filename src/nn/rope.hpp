// Rotary position embeddings (RoPE). Head vector element pairs are rotated
// by pos * theta^(-2i/d). Two pairings are in use and a model must be run
// with the one it was trained with:
//  - Neox: pairs (i, i + d/2). Hugging Face Llama/BitNet checkpoints, and
//    llama.cpp's `bitnet` architecture (LLAMA_ROPE_TYPE_NEOX).
//  - Interleaved: pairs (2i, 2i + 1). GPT-J, and llama.cpp's "normal" mode
//    used with Q/K weights that were permuted at conversion.
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

enum class RopeStyle { Neox, Interleaved };

// Rotates x [tokens, n_heads * head_dim] in place; token t sits at
// position pos0 + t. inverse = true rotates by the negative angle, which is
// the backward pass (a rotation's transpose is its inverse).
void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, float theta,
                RopeStyle style, bool inverse = false);

// Rope with the scalings of llama.cpp's models: the angle of pair i at
// position p is (p * freq_scale) * theta^(-2i/d) / freq_factors[i]
// (freq_scale = 1 / rope.scaling.factor for linear scaling; freq_factors,
// head_dim / 2 of them or null, are llama-3's rope_freqs).
struct RopeParams {
  float theta = 10000.0f;
  RopeStyle style = RopeStyle::Neox;
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;
};
void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, const RopeParams& p);

// The cosines and sines rope_apply rotates by, computed once for callers
// that rotate many tensors at the same positions (training: q and k of
// every sequence of a batch in every layer); rotating with the table gives
// rope_apply's values bit for bit.
struct RopeTable {
  int64_t tokens = 0, half = 0;
  std::vector<float> cos, sin;  // [tokens, half]
};
RopeTable rope_table(int64_t tokens, int64_t head_dim, int64_t pos0, const RopeParams& p, bool inverse = false);
void rope_apply(float* x, int64_t n_heads, int64_t head_dim, RopeStyle style, const RopeTable& table);

}  // namespace lowbit

// The pre-norm decoder shared by the transformer families (bitnet,
// bitnet-b1.58, llama; model/families/), over a KV cache:
//
//   x = token_embd[id]
//   per layer:  h = RMSNorm(x) * attn_norm
//               q, k, v = Wq h, Wk h, Wv h;  rope(q, k);  cache k, v
//               a = attention(q, cache);  a = RMSNorm(a) * attn_sub_norm   (sub-norm: BitNet only)
//               x += Wo a
//               h = RMSNorm(x) * ffn_norm
//               f = act(Wgate h) * (Wup h);  f = RMSNorm(f) * ffn_sub_norm (sub-norm: BitNet only)
//               x += Wdown f
//   logits = output(RMSNorm(x) * output_norm)   (output = token_embd if tied)
//
// act is relu^2 or SiLU, the rope pairing and scaling come from the
// config (the family's defaults and the file's keys). Projections are
// ternary W1.58 x A8 when the file stores them ternary, float otherwise
// (f16 kept as f16, other float types as f32; LLM.int8 with --int8).
// Weights are read through a TensorLookup so the model does not care which
// file they came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.hpp"
#include "model/exact_head.hpp"
#include "model/family.hpp"
#include "model/kv_cache.hpp"
#include "model/matrix.hpp"
#include "model/model.hpp"
#include "model/tensor_ref.hpp"

namespace lowbit {

class DecoderModel final : public Model {
 public:
  DecoderModel(const ModelFamily& family, const ModelConfig& cfg, const TensorLookup& lookup,
               const ModelLoadOptions& opt = {});

  const ModelConfig& config() const override { return cfg_; }
  const ModelFamily& family() const override { return family_; }
  std::unique_ptr<SequenceState> new_state(int64_t n_ctx) const override;

  void forward(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* logits,
               bool all_logits = false) override;
  void forward_batch(const int32_t* tokens, const int64_t* positions, SequenceState* const* states, int64_t n,
                     float* logits) override;
  void forward_hidden(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* hidden) override;

  size_t bytes_per_token() const override;
  std::string summary() const override;

 private:
  struct Layer {
    std::vector<float> norm[kNormCount];
    std::unique_ptr<Matrix> proj[kProjCount];
    // When q/k/v (gate/up) are all ternary, or all LLM.int8, they run as one
    // matrix of their rows side by side, and their proj[] entries are null.
    std::unique_ptr<Matrix> qkv, gate_up;
    float scale[kProjCount] = {1, 1, 1, 1, 1, 1, 1};  // optional `.scale` tensors (llama.cpp bitnet)
  };

  void load_layer(int64_t l, const TensorLookup& lookup, const ModelLoadOptions& opt);
  void gather_weights();
  void embed(const int32_t* tokens, int64_t T, float* x) const;
  void load_exact_head(const TensorLookup& lookup, int k);
  // forward's layer stack over one sequence: returns x [T, n_embd] before the final norm.
  float* run_sequence(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state);
  // The layer stack shared by forward and forward_batch: x [T, n_embd] in,
  // updated in place. `attend` rotates q/k, stores k/v and writes att.
  template <class Attend>
  void run_layers(float* x, int64_t T, const Attend& attend);
  void project_qkv(const Layer& L, const float* h, int64_t T, float* q, float* k, float* v);
  void feed_forward(const Layer& L, float* x, int64_t T);
  float* grow_scratch(int64_t T);
  RopeParams rope() const;
  static KVCache& cache_of(SequenceState& s);

  const ModelFamily& family_;
  ModelConfig cfg_;
  TensorRef tok_embd_;
  int64_t embd_row_bytes_ = 0;
  std::vector<Layer> layers_;
  std::vector<float> output_norm_;
  std::unique_ptr<Matrix> output_;
  bool tied_ = false;  // output_ is token_embd
  bool embed_from_head_ = false;            // tied and output_ holds the file's rows (not requantized by --head-type)
  std::unique_ptr<ExactGreedyHead> exact_;  // --exact-greedy

  // Scratch, resized to the largest batch seen; decoding never allocates.
  // ffn_ holds gate and up [T, 2 * n_ff]; the activation leaves its result
  // in the first T * n_ff floats.
  std::vector<float> x_, h_, qkv_, q_, k_, v_, att_, ffn_, tmp_;
  std::vector<KVCache*> batch_caches_;  // forward_batch's rows' caches
};

}  // namespace lowbit

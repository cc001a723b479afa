// The BitNet b1.58 decoder as in 2B4T (and llama.cpp's `bitnet`):
//
//   x = token_embd[id]
//   per layer:  h = RMSNorm(x) * attn_norm
//               q, k, v = Wq h, Wk h, Wv h;  rope(q, k);  cache k, v
//               a = attention(q, cache);  a = RMSNorm(a) * attn_sub_norm
//               x += Wo a
//               h = RMSNorm(x) * ffn_norm
//               f = act(Wgate h) * (Wup h);  f = RMSNorm(f) * ffn_sub_norm
//               x += Wdown f
//   logits = output(RMSNorm(x) * output_norm)   (output = token_embd if tied)
//
// act is relu^2 (2B4T) or SiLU (older bitnet models). Projections are
// ternary W1.58 x A8 when the file stores them ternary, float otherwise
// (or Int8Linear with --int8). Weights are read through a TensorLookup so
// the model does not care which file they came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.hpp"
#include "model/kv_cache.hpp"
#include "model/matrix.hpp"
#include "model/tensor_ref.hpp"

namespace lowbit {

struct ModelLoadOptions {
  bool int8 = false;             // run float projections through LLM.int8 (Int8Linear)
  float int8_threshold = 6.0f;
  // Run float projections whose values are ternary x scale (llama.cpp's f16
  // `bitnet` files) as W1.58 x A8 with BitNet's activation quantization.
  bool ternary_float_weights = false;
};

class BitNetModel {
 public:
  BitNetModel(const ModelConfig& cfg, const TensorLookup& lookup, const ModelLoadOptions& opt = {});

  const ModelConfig& config() const { return cfg_; }

  // Runs tokens [T] at positions pos0 .. pos0+T-1, appending their K/V to
  // the cache. Writes the logits of the last token to logits [n_vocab], or
  // of every token to logits [T, n_vocab] when all_logits is set.
  void forward(const int32_t* tokens, int64_t T, int64_t pos0, KVCache& cache, float* logits,
               bool all_logits = false);

  // One decode step for n independent sequences: row i is token tokens[i]
  // at position positions[i] of the sequence whose cache is caches[i] (the
  // caches must be distinct). The projections run as one GEMM over the n
  // rows, so n streams share one pass over the weights; attention runs per
  // row against its own cache. Writes logits [n, n_vocab]. Row i's result
  // equals forward(&tokens[i], 1, positions[i], *caches[i], ...).
  void forward_batch(const int32_t* tokens, const int64_t* positions, KVCache* const* caches, int64_t n,
                     float* logits);

  // Weight bytes read for one decoded token (the bandwidth bound's numerator).
  size_t bytes_per_token() const;
  // A multi-line description: shapes and the kind of each matrix.
  std::string summary() const;

 private:
  struct Layer {
    std::vector<float> attn_norm, attn_sub_norm, ffn_norm, ffn_sub_norm;
    std::unique_ptr<Matrix> wq, wk, wv, wo, gate, up, down;
    // When q/k/v (gate/up) are all ternary they run as one matrix of their
    // rows side by side, and wq/wk/wv (gate/up) are null.
    std::unique_ptr<Matrix> qkv, gate_up;
    float scale[7] = {1, 1, 1, 1, 1, 1, 1};  // optional per-projection `.scale` tensors (llama.cpp bitnet)
  };

  void embed(const int32_t* tokens, int64_t T, float* x) const;
  // The layer stack shared by forward and forward_batch: x [T, n_embd] in,
  // updated in place. `attend` rotates q/k, stores k/v and writes att.
  template <class Attend>
  void run_layers(float* x, int64_t T, const Attend& attend);
  float* grow_scratch(int64_t T);

  ModelConfig cfg_;
  TensorRef tok_embd_;
  int64_t embd_row_bytes_ = 0;
  std::vector<Layer> layers_;
  std::vector<float> output_norm_;
  std::unique_ptr<Matrix> output_;
  bool tied_ = false;  // output_ is token_embd

  // Scratch, resized to the largest batch seen; decoding never allocates.
  // ffn_ holds gate and up [T, 2 * n_ff]; the activation leaves its result
  // in the first T * n_ff floats.
  std::vector<float> x_, h_, qkv_, q_, k_, v_, att_, ffn_, tmp_;
};

}  // namespace lowbit

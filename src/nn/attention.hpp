// S2: multi-head attention whose Q/K/V/O projections are any LinearLayer
// (float, BitLinear v1, b1.58, H-BitLinear, Int8), with grouped KV heads,
// rotary embeddings, a causal mask, and softmax in f32 with max subtraction
// and a temperature: softmax(Q K^T / (sqrt(d) * T) + mask). The residual
// stream stays f32: y = x + O(attention) when `residual` is set.
//
// This is the reference layer used by `lowbit layers`, the tests and the
// trainer; the inference model (src/model) runs the same math over packed
// weights and a KV cache.
#pragma once

#include <cstdint>
#include <memory>

#include "core/tensor.hpp"
#include "nn/attention_core.hpp"
#include "nn/linear_layer.hpp"
#include "nn/rope.hpp"

namespace lowbit {

struct AttentionOptions {
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;  // divides n_head (grouped-query attention)
  int64_t head_dim = 0;
  float rope_theta = 10000.0f;
  RopeStyle rope_style = RopeStyle::Neox;
  float temperature = 1.0f;
  bool causal = true;
  bool residual = true;
  void validate() const;
};

class BitAttention {
 public:
  // wq [n_head*hd, n_embd], wk/wv [n_head_kv*hd, n_embd], wo [n_embd, n_head*hd].
  BitAttention(const AttentionOptions& opt, std::unique_ptr<LinearLayer> wq, std::unique_ptr<LinearLayer> wk,
               std::unique_ptr<LinearLayer> wv, std::unique_ptr<LinearLayer> wo);

  const AttentionOptions& options() const { return opt_; }
  LinearLayer& proj(int i) { return *proj_[i]; }  // 0 q, 1 k, 2 v, 3 o
  const LinearLayer& proj(int i) const { return *proj_[i]; }
  size_t weight_bytes() const;

  // What the forward keeps for the backward.
  struct Saved {
    Tensor q, k, v;  // after rope: [T, q_dim], [T, kv_dim], [T, kv_dim]
    Tensor probs;    // [n_head, T, T] (masked entries are 0)
    Tensor ctx;      // attention output before O: [T, q_dim]
  };
  struct Grads {
    Tensor dw[4];  // same shapes as the projection weights; accumulated into
  };

  // y [T, n_embd] from x [T, n_embd] (positions 0..T-1).
  void forward(const float* x, int64_t T, float* y) const;
  void forward(const float* x, int64_t T, float* y, Saved& saved) const;
  // STE backward through the projections, exact through softmax and rope.
  // dx [T, n_embd] is overwritten; weight gradients are added to grads.
  void backward(const float* x, int64_t T, const Saved& saved, const float* dy, float* dx, Grads& grads) const;
  Grads make_grads() const;

 private:
  AttentionShape shape() const {
    return {opt_.n_head, opt_.n_head_kv, opt_.head_dim, opt_.temperature, opt_.causal};
  }
  AttentionOptions opt_;
  std::unique_ptr<LinearLayer> proj_[4];
};

// Builds the four projections of one type from f32 weights (moved in).
std::unique_ptr<BitAttention> make_attention(const AttentionOptions& opt, LinearType type, const LinearOptions& lopt,
                                             Tensor wq, Tensor wk, Tensor wv, Tensor wo);

}  // namespace lowbit

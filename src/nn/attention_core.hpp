// The projection-free part of attention for one sequence, forward and
// backward side by side: scores = q k^T / (sqrt(d) * temperature), causal
// mask, softmax (f32, max subtracted), ctx = probs v. Grouped-query: query
// head h reads KV head h / (n_head / n_head_kv). q, k must already be rotated.
#pragma once

#include <cstdint>

namespace lowbit {

struct AttentionShape {
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float temperature = 1.0f;
  bool causal = true;
  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// q [T, q_dim], k/v [T, kv_dim] -> probs [n_head, T, T] (kept for the
// backward; masked entries 0), ctx [T, q_dim].
void attention_core_forward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t T,
                            float* probs, float* ctx);

// Gradients of the forward above: dq [T, q_dim] and dk/dv [T, kv_dim] are
// overwritten.
void attention_core_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                             const float* probs, const float* dctx, int64_t T, float* dq, float* dk, float* dv);

// The same for B sequences of T tokens laid end to end (q [B*T, q_dim],
// probs [B, n_head, T, T], ...), one sequence per thread at a time: the
// T x T products of short sequences are too small to split well. Each
// sequence gets exactly the per-sequence functions' results.
void attention_core_forward_batch(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t B,
                                  int64_t T, float* probs, float* ctx);
void attention_core_backward_batch(const AttentionShape& s, const float* q, const float* k, const float* v,
                                   const float* probs, const float* dctx, int64_t B, int64_t T, float* dq, float* dk,
                                   float* dv);

}  // namespace lowbit

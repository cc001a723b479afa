// The key/value cache: f32 [layer][position][kv_dim] for K and for V,
// allocated once for the whole context so decoding never allocates.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "model/config.hpp"

namespace lowbit {

class KVCache {
 public:
  KVCache(const ModelConfig& cfg, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  size_t bytes() const { return k_.nbytes() + v_.nbytes(); }

  float* k(int64_t layer, int64_t pos) { return k_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  float* v(int64_t layer, int64_t pos) { return v_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  const float* k(int64_t layer, int64_t pos) const { return k_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  const float* v(int64_t layer, int64_t pos) const { return v_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }

 private:
  int64_t n_ctx_, kv_dim_;
  Tensor k_, v_;
};

// Causal multi-head attention of T new tokens at positions [pos0, pos0+T)
// against the cache (which already holds their K/V): q [T, n_head*head_dim]
// (rotated), out [T, n_head*head_dim]. Grouped KV heads; softmax in float
// with max subtraction; parallel over (token, head).
void attend_cached(const ModelConfig& cfg, const KVCache& cache, int64_t layer, const float* q, int64_t T,
                   int64_t pos0, float* out);

}  // namespace lowbit

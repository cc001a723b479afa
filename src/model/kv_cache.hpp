// The key/value cache of a transformer: f32 [layer][position][kv_dim] for K
// and for V, allocated once for the whole context so decoding never
// allocates (large buffers are lazily zeroed mappings, so only positions in
// use take memory). The per-sequence state of the decoder families.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "model/config.hpp"
#include "model/model.hpp"

namespace lowbit {

class KVCache final : public SequenceState {
 public:
  KVCache(const ModelConfig& cfg, int64_t n_ctx);

  int64_t n_ctx() const override { return n_ctx_; }
  size_t bytes() const override { return k_.nbytes() + v_.nbytes(); }
  int64_t kv_dim() const { return kv_dim_; }

  float* k(int64_t layer, int64_t pos) { return k_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  float* v(int64_t layer, int64_t pos) { return v_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  const float* k(int64_t layer, int64_t pos) const { return k_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }
  const float* v(int64_t layer, int64_t pos) const { return v_.data<float>() + (layer * n_ctx_ + pos) * kv_dim_; }

 private:
  int64_t n_ctx_, kv_dim_;
  Tensor k_, v_;
};

}  // namespace lowbit

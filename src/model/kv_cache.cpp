#include "model/kv_cache.hpp"

#include "core/error.hpp"

namespace lowbit {

KVCache::KVCache(const ModelConfig& cfg, int64_t n_ctx)
    : n_ctx_(n_ctx),
      kv_dim_(cfg.kv_dim()),
      k_(Tensor::f32({cfg.n_layer, n_ctx, cfg.kv_dim()})),
      v_(Tensor::f32({cfg.n_layer, n_ctx, cfg.kv_dim()})) {
  LOWBIT_CHECK(n_ctx > 0, "context length {} must be positive", n_ctx);
}

}  // namespace lowbit

#include "model/kv_cache.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/dispatch.hpp"
#include "nn/softmax.hpp"

namespace lowbit {

KVCache::KVCache(const ModelConfig& cfg, int64_t n_ctx)
    : n_ctx_(n_ctx),
      kv_dim_(cfg.kv_dim()),
      k_(Tensor::f32({cfg.n_layer, n_ctx, cfg.kv_dim()})),
      v_(Tensor::f32({cfg.n_layer, n_ctx, cfg.kv_dim()})) {
  LOWBIT_CHECK(n_ctx > 0, "context length {} must be positive", n_ctx);
}

void attend_cached(const ModelConfig& cfg, const KVCache& cache, int64_t layer, const float* q, int64_t T,
                   int64_t pos0, float* out) {
  const int64_t hd = cfg.head_dim, nh = cfg.n_head, group = cfg.n_head / cfg.n_head_kv;
  const float scale = 1.0f / std::sqrt(float(hd));
  const int64_t n_ctx_used = pos0 + T;
  const TernaryKernels& kern = kernels();
  ThreadPool::global().parallel_for(T * nh, 1, [&](int64_t b, int64_t e) {
    // Per worker thread, grown to the longest context seen: decode does not
    // allocate per layer.
    thread_local std::vector<float> scores;
    if (scores.size() < size_t(n_ctx_used)) scores.resize(size_t(n_ctx_used));
    for (int64_t job = b; job < e; ++job) {
      const int64_t t = job / nh, h = job % nh, kvh = h / group;
      const int64_t n_keys = pos0 + t + 1;  // causal: keys up to and including this token
      const float* qh = q + t * nh * hd + h * hd;
      for (int64_t j = 0; j < n_keys; ++j)
        scores[size_t(j)] = kern.dot_f32(qh, cache.k(layer, j) + kvh * hd, hd) * scale;
      softmax_inplace(scores.data(), n_keys);
      float* oh = out + t * nh * hd + h * hd;
      std::fill(oh, oh + hd, 0.0f);
      for (int64_t j = 0; j < n_keys; ++j) kern.axpy_f32(scores[size_t(j)], cache.v(layer, j) + kvh * hd, oh, hd);
    }
  });
}

}  // namespace lowbit

#include "nn/cached_attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/dispatch.hpp"
#include "nn/softmax.hpp"

namespace lowbit {

void attend_cached(const AttentionShape& shape, const float* k, const float* v, const float* q, int64_t T, int64_t pos0,
                   float* out) {
  const int64_t hd = shape.head_dim, nh = shape.n_head, kvd = shape.kv_dim(), group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / (std::sqrt(float(hd)) * shape.temperature);
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
      for (int64_t j = 0; j < n_keys; ++j) scores[size_t(j)] = kern.dot_f32(qh, k + j * kvd + kvh * hd, hd) * scale;
      softmax_inplace(scores.data(), n_keys);
      float* oh = out + t * nh * hd + h * hd;
      std::fill(oh, oh + hd, 0.0f);
      for (int64_t j = 0; j < n_keys; ++j) kern.axpy_f32(scores[size_t(j)], v + j * kvd + kvh * hd, oh, hd);
    }
  });
}

}  // namespace lowbit

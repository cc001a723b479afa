#include "nn/attention_core.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.hpp"
#include "nn/softmax.hpp"

namespace lowbit {

void attention_core_forward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t T,
                            float* probs, float* ctx) {
  const int64_t nh = s.n_head, hd = s.head_dim, group = s.n_head / s.n_head_kv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  ThreadPool::global().parallel_for(nh * T, 1, [&](int64_t b, int64_t e) {
    for (int64_t job = b; job < e; ++job) {
      const int64_t h = job / T, t = job % T, kvh = h / group;
      const int64_t n_keys = s.causal ? t + 1 : T;
      float* p = probs + (h * T + t) * T;
      const float* qh = q + t * qd + h * hd;
      for (int64_t j = 0; j < T; ++j) {
        if (j >= n_keys) {
          p[j] = -INFINITY;  // masked
          continue;
        }
        const float* kj = k + j * kvd + kvh * hd;
        float dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += qh[i] * kj[i];
        p[j] = dot * scale;
      }
      softmax_inplace(p, T);
      float* out = ctx + t * qd + h * hd;
      std::fill(out, out + hd, 0.0f);
      for (int64_t j = 0; j < n_keys; ++j) {
        const float* vj = v + j * kvd + kvh * hd;
        for (int64_t i = 0; i < hd; ++i) out[i] += p[j] * vj[i];
      }
    }
  });
}

void attention_core_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                             const float* probs, const float* dctx, int64_t T, float* dq, float* dk, float* dv) {
  const int64_t nkv = s.n_head_kv, hd = s.head_dim, group = s.n_head / nkv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  std::fill(dk, dk + T * kvd, 0.0f);
  std::fill(dv, dv + T * kvd, 0.0f);
  // One job per KV head: dK and dV of a KV head receive contributions from
  // every query head of its group, so this split needs no atomics.
  ThreadPool::global().parallel_for(nkv, 1, [&](int64_t b, int64_t e) {
    std::vector<float> dp(static_cast<size_t>(T)), ds(static_cast<size_t>(T));
    for (int64_t kvh = b; kvh < e; ++kvh) {
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        for (int64_t t = 0; t < T; ++t) {
          const int64_t n_keys = s.causal ? t + 1 : T;
          const float* p = probs + (h * T + t) * T;
          const float* go = dctx + t * qd + h * hd;
          for (int64_t j = 0; j < T; ++j) {
            float acc = 0;
            if (j < n_keys) {
              const float* vj = v + j * kvd + kvh * hd;
              float* dvj = dv + j * kvd + kvh * hd;
              for (int64_t i = 0; i < hd; ++i) {
                acc += go[i] * vj[i];
                dvj[i] += p[j] * go[i];
              }
            }
            dp[size_t(j)] = acc;
          }
          softmax_backward(p, dp.data(), T, ds.data());
          float* dqh = dq + t * qd + h * hd;
          const float* qh = q + t * qd + h * hd;
          std::fill(dqh, dqh + hd, 0.0f);
          for (int64_t j = 0; j < n_keys; ++j) {
            const float g = ds[size_t(j)] * scale;
            const float* kj = k + j * kvd + kvh * hd;
            float* dkj = dk + j * kvd + kvh * hd;
            for (int64_t i = 0; i < hd; ++i) {
              dqh[i] += g * kj[i];
              dkj[i] += g * qh[i];
            }
          }
        }
      }
    }
  });
}

}  // namespace lowbit

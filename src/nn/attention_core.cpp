#include "nn/attention_core.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"
#include "nn/softmax.hpp"

namespace lowbit {

// Per head, as SGEMMs over strided views of q/k/v (head h's columns of a
// [T, q_dim] matrix are a [T, head_dim] matrix with row stride q_dim):
//   S = Q_h K_h^T * scale,  P = softmax(S + mask),  ctx_h = P V_h.
void attention_core_forward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t T,
                            float* probs, float* ctx) {
  const int64_t nh = s.n_head, hd = s.head_dim, group = s.n_head / s.n_head_kv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t kvh = h / group;
    float* p = probs + h * T * T;
    sgemm(false, true, T, T, hd, q + h * hd, qd, k + kvh * hd, kvd, 0.0f, p, T);
    ThreadPool::global().parallel_for(T, 8, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* row = p + t * T;
        const int64_t n_keys = s.causal ? t + 1 : T;
        for (int64_t j = 0; j < n_keys; ++j) row[j] *= scale;
        for (int64_t j = n_keys; j < T; ++j) row[j] = -INFINITY;  // masked: softmax gives exactly 0
        softmax_inplace(row, T);
      }
    });
    sgemm(false, false, T, hd, T, p, T, v + kvh * hd, kvd, 0.0f, ctx + h * hd, qd);
  }
}

// With dctx_h the gradient of ctx_h:
//   dV_h += P^T dctx_h,  dP = dctx_h V_h^T,  dS = softmax_backward(P, dP),
//   dQ_h = dS K_h * scale,  dK_h += dS^T Q_h * scale.
// K/V heads shared by a group accumulate over its query heads (beta = 1).
void attention_core_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                             const float* probs, const float* dctx, int64_t T, float* dq, float* dk, float* dv) {
  const int64_t nh = s.n_head, hd = s.head_dim, group = nh / s.n_head_kv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  std::fill(dk, dk + T * kvd, 0.0f);
  std::fill(dv, dv + T * kvd, 0.0f);
  std::vector<float> ds(static_cast<size_t>(T * T));
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t kvh = h / group;
    const float* p = probs + h * T * T;
    sgemm(true, false, T, hd, T, p, T, dctx + h * hd, qd, 1.0f, dv + kvh * hd, kvd);
    sgemm(false, true, T, T, hd, dctx + h * hd, qd, v + kvh * hd, kvd, 0.0f, ds.data(), T);  // dP
    ThreadPool::global().parallel_for(T, 8, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* row = ds.data() + t * T;
        softmax_backward(p + t * T, row, T, row);
        for (int64_t j = 0; j < T; ++j) row[j] *= scale;
      }
    });
    sgemm(false, false, T, hd, T, ds.data(), T, k + kvh * hd, kvd, 0.0f, dq + h * hd, qd);
    sgemm(true, false, T, hd, T, ds.data(), T, q + h * hd, qd, 1.0f, dk + kvh * hd, kvd);
  }
}

}  // namespace lowbit

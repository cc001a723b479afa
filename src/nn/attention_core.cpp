#include "nn/attention_core.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"
#include "nn/softmax.hpp"

namespace lowbit {

namespace {

// How one call spreads its work: on the pool inside each SGEMM and row loop
// (one long sequence), or on none (the batched entry points run one whole
// sequence per thread, which beats splitting T x T products of T ~ 128).
struct Threading {
  SgemmFn gemm;
  bool pool_rows;
  void rows(int64_t n, const std::function<void(int64_t, int64_t)>& fn) const {
    if (pool_rows) ThreadPool::global().parallel_for(n, 8, fn);
    else fn(0, n);
  }
};

const Threading kPooled{sgemm, true};

Threading serial() { return {sgemm_single_thread, false}; }

// Per head, as SGEMMs over strided views of q/k/v (head h's columns of a
// [T, q_dim] matrix are a [T, head_dim] matrix with row stride q_dim):
//   S = Q_h K_h^T * scale,  P = softmax(S + mask),  ctx_h = P V_h.
void forward_one(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t T, float* probs,
                 float* ctx, const Threading& th) {
  const int64_t nh = s.n_head, hd = s.head_dim, group = s.n_head / s.n_head_kv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t kvh = h / group;
    float* p = probs + h * T * T;
    th.gemm(false, true, T, T, hd, q + h * hd, qd, k + kvh * hd, kvd, 0.0f, p, T);
    th.rows(T, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* row = p + t * T;
        const int64_t n_keys = s.causal ? t + 1 : T;
        for (int64_t j = 0; j < n_keys; ++j) row[j] *= scale;
        for (int64_t j = n_keys; j < T; ++j) row[j] = -INFINITY;  // masked: softmax gives exactly 0
        softmax_inplace(row, T);
      }
    });
    th.gemm(false, false, T, hd, T, p, T, v + kvh * hd, kvd, 0.0f, ctx + h * hd, qd);
  }
}

// With dctx_h the gradient of ctx_h:
//   dV_h += P^T dctx_h,  dP = dctx_h V_h^T,  dS = softmax_backward(P, dP),
//   dQ_h = dS K_h * scale,  dK_h += dS^T Q_h * scale.
// K/V heads shared by a group accumulate over its query heads (beta = 1).
void backward_one(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                  const float* dctx, int64_t T, float* dq, float* dk, float* dv, const Threading& th) {
  const int64_t nh = s.n_head, hd = s.head_dim, group = nh / s.n_head_kv;
  const int64_t qd = s.q_dim(), kvd = s.kv_dim();
  const float scale = 1.0f / (std::sqrt(float(hd)) * s.temperature);
  std::fill(dk, dk + T * kvd, 0.0f);
  std::fill(dv, dv + T * kvd, 0.0f);
  std::vector<float> ds(static_cast<size_t>(T * T));
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t kvh = h / group;
    const float* p = probs + h * T * T;
    th.gemm(true, false, T, hd, T, p, T, dctx + h * hd, qd, 1.0f, dv + kvh * hd, kvd);
    th.gemm(false, true, T, T, hd, dctx + h * hd, qd, v + kvh * hd, kvd, 0.0f, ds.data(), T);  // dP
    th.rows(T, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* row = ds.data() + t * T;
        softmax_backward(p + t * T, row, T, row);
        for (int64_t j = 0; j < T; ++j) row[j] *= scale;
      }
    });
    th.gemm(false, false, T, hd, T, ds.data(), T, k + kvh * hd, kvd, 0.0f, dq + h * hd, qd);
    th.gemm(true, false, T, hd, T, ds.data(), T, q + h * hd, qd, 1.0f, dk + kvh * hd, kvd);
  }
}

}  // namespace

void attention_core_forward(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t T,
                            float* probs, float* ctx) {
  forward_one(s, q, k, v, T, probs, ctx, kPooled);
}

void attention_core_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                             const float* probs, const float* dctx, int64_t T, float* dq, float* dk, float* dv) {
  backward_one(s, q, k, v, probs, dctx, T, dq, dk, dv, kPooled);
}

void attention_core_forward_batch(const AttentionShape& s, const float* q, const float* k, const float* v, int64_t B,
                                  int64_t T, float* probs, float* ctx) {
  const int64_t qd = s.q_dim(), kvd = s.kv_dim(), pn = s.n_head * T * T;
  ThreadPool::global().parallel_for_dynamic(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      forward_one(s, q + b * T * qd, k + b * T * kvd, v + b * T * kvd, T, probs + b * pn, ctx + b * T * qd, serial());
  });
}

void attention_core_backward_batch(const AttentionShape& s, const float* q, const float* k, const float* v,
                                   const float* probs, const float* dctx, int64_t B, int64_t T, float* dq, float* dk,
                                   float* dv) {
  const int64_t qd = s.q_dim(), kvd = s.kv_dim(), pn = s.n_head * T * T;
  ThreadPool::global().parallel_for_dynamic(B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      backward_one(s, q + b * T * qd, k + b * T * kvd, v + b * T * kvd, probs + b * pn, dctx + b * T * qd, T,
                   dq + b * T * qd, dk + b * T * kvd, dv + b * T * kvd, serial());
  });
}

}  // namespace lowbit

#include "train/adamw.hpp"

#include <cmath>

#include "core/thread_pool.hpp"

namespace lowbit {

double adamw_step(std::vector<Param>& params, AdamWState& st, float lr, float weight_decay, float beta1, float beta2,
                  float eps, float grad_clip) {
  if (st.m.size() != params.size()) {
    st.m.clear();
    st.v.clear();
    for (const Param& p : params) {
      st.m.push_back(Tensor::f32(p.value->shape()));
      st.v.push_back(Tensor::f32(p.value->shape()));
      for (Tensor* t : {&st.m.back(), &st.v.back()}) std::fill(t->span<float>().begin(), t->span<float>().end(), 0.0f);
    }
  }
  double sq = 0;
  for (const Param& p : params)
    for (float g : p.grad->span<float>()) sq += double(g) * g;
  const double norm = std::sqrt(sq);
  const float clip = grad_clip > 0 && norm > grad_clip ? float(grad_clip / norm) : 1.0f;
  ++st.t;
  const float bc1 = 1.0f - std::pow(beta1, float(st.t)), bc2 = 1.0f - std::pow(beta2, float(st.t));
  for (size_t i = 0; i < params.size(); ++i) {
    float* w = params[i].value->data<float>();
    const float* g = params[i].grad->data<float>();
    float* m = st.m[i].data<float>();
    float* v = st.v[i].data<float>();
    const float wd = params[i].decay ? weight_decay : 0.0f;
    ThreadPool::global().parallel_for(params[i].value->numel(), 4096, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const float gk = g[k] * clip;
        m[k] = beta1 * m[k] + (1.0f - beta1) * gk;
        v[k] = beta2 * v[k] + (1.0f - beta2) * gk * gk;
        w[k] -= lr * ((m[k] / bc1) / (std::sqrt(v[k] / bc2) + eps) + wd * w[k]);
      }
    });
  }
  return norm;
}

}  // namespace lowbit

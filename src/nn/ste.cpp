#include "nn/ste.hpp"

#include <cstring>

#include "core/thread_pool.hpp"
#include "nn/float_linear.hpp"

namespace lowbit {

void apply_ste_mask(const std::vector<uint8_t>& pass, int64_t n, float* dh) {
  // Nothing clipped (the int8 absmax quantizer never clips a finite
  // input): one scan of the bytes instead of a pass over dh.
  if (n <= 0 || !std::memchr(pass.data(), 0, size_t(n))) return;
  ThreadPool::global().parallel_for(n, 4096, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k)
      if (!pass[size_t(k)]) dh[k] = 0.0f;
  });
}

void ste_products(const std::vector<float>& deq, const float* w_deq, const float* dy, int64_t tokens, int64_t in,
                  int64_t out, float* dh, float* dw) {
  if (dw) accumulate_dyt_x(dy, deq.data(), tokens, in, out, dw);
  if (dh) matmul_dy_w(dy, w_deq, tokens, in, out, dh);
}

void ste_linear_backward(const QuantizedActs& a, const float* w_deq, const float* dy, int64_t tokens, int64_t in,
                         int64_t out, float* dh, float* dw) {
  ste_products(a.deq, w_deq, dy, tokens, in, out, dh, dw);
  if (dh) apply_ste_mask(a.pass, tokens * in, dh);
}

}  // namespace lowbit

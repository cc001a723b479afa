#include "quant/int_matmul.hpp"

#include "core/thread_pool.hpp"

namespace lowbit {

void int8_matmul_scaled(const int8_t* xq, const double* x_step, int64_t tokens, int64_t in, const int8_t* wq,
                        const float* w_step, double w_step_all, int64_t out, float* y) {
  ThreadPool::global().parallel_for(out, 8, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const int8_t* wo = wq + o * in;
      const double ws = w_step ? double(w_step[o]) : w_step_all;
      for (int64_t t = 0; t < tokens; ++t) {
        const int8_t* xt = xq + t * in;
        int64_t acc = 0;  // int64: no overflow whatever the width
        for (int64_t i = 0; i < in; ++i) acc += int32_t(xt[i]) * int32_t(wo[i]);
        y[t * out + o] = float(double(acc) * x_step[t] * ws);
      }
    }
  });
}

}  // namespace lowbit

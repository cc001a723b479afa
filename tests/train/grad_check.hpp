// Finite-difference check of a trainable model's gradients: every
// parameter sampled at a few positions, the analytic gradient of one
// forward/backward against (loss(w + h) - loss(w - h)) / 2h. Meant for
// float projections, where the gradient is exact (the STE's is not).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "train/trainable_model.hpp"

namespace lowbit {

// Returns how many values it checked.
inline int expect_gradients_match_fd(TrainableModel& m, const int32_t* in, const int32_t* tgt, int64_t B, int64_t T,
                                     int samples_per_param = 5, float h = 3e-3f) {
  m.zero_grads();
  m.forward(in, tgt, B, T);
  m.backward();
  int checked = 0;
  for (Param& p : m.params()) {
    const int64_t n = p.value->numel();
    for (int64_t i = 0; i < n; i += std::max<int64_t>(1, n / samples_per_param)) {
      float& w = p.value->data<float>()[i];
      const float keep = w;
      w = keep + h;
      const double lp = m.forward(in, tgt, B, T);
      w = keep - h;
      const double lm = m.forward(in, tgt, B, T);
      w = keep;
      const double fd = (lp - lm) / (2 * double(h));
      const double g = p.grad->data<float>()[i];
      EXPECT_NEAR(g, fd, 2e-3 + 0.03 * std::fabs(fd)) << p.name << "[" << i << "]";
      ++checked;
    }
  }
  return checked;
}

}  // namespace lowbit

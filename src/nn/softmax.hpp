// Numerically stable softmax in f32 (row max subtracted before exp), with
// its backward next to it.
#pragma once

#include <cstdint>

namespace lowbit {

// p[j] = exp(x[j] - max x) / sum; -INFINITY entries (masked) get 0. In place.
void softmax_inplace(float* x, int64_t n);

// Given p = softmax(s) and dp = dL/dp, writes ds = p * (dp - sum_j p_j dp_j).
void softmax_backward(const float* p, const float* dp, int64_t n, float* ds);

}  // namespace lowbit

// Small helpers the trainable models share: parameter tensors filled with a
// constant or drawn from N(0, std), and activation buffers that grow to the
// largest batch shape seen and are then reused (no allocation per step).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "core/tensor.hpp"

namespace lowbit {

inline Tensor filled_tensor(Shape s, float v) {
  Tensor t = Tensor::f32(s);
  std::fill(t.span<float>().begin(), t.span<float>().end(), v);
  return t;
}

inline Tensor normal_tensor(Shape s, float std, Rng& rng) {
  Tensor t = Tensor::f32(s);
  for (float& v : t.span<float>()) v = float(rng.normal()) * std;
  return t;
}

// v's storage, at least n floats long.
inline float* grown(std::vector<float>& v, int64_t n) {
  if (v.size() < size_t(n)) v.resize(size_t(n));
  return v.data();
}

}  // namespace lowbit

// AdamW (decoupled weight decay, Loshchilov & Hutter) with global-norm
// gradient clipping, over the model's parameter list.
#pragma once

#include <cstdint>
#include <vector>

#include "train/trainable_model.hpp"

namespace lowbit {

struct AdamWState {
  std::vector<Tensor> m, v;  // first and second moments, one per param
  int64_t t = 0;             // steps taken (bias correction)
};

// Returns the gradient's global L2 norm before clipping. Weight decay only
// touches params with decay = true.
double adamw_step(std::vector<Param>& params, AdamWState& st, float lr, float weight_decay, float beta1, float beta2,
                  float eps, float grad_clip);

}  // namespace lowbit

// The normalizations in front of activation quantization, without affine
// parameters, one token (row of n values) at a time, forward and backward
// side by side. Statistics in double; eps = 1e-5 as in PyTorch.
#pragma once

#include <cstdint>

namespace lowbit {

inline constexpr float kNormEps = 1e-5f;

// LayerNorm (S1): y = (x - mean) / sqrt(var + eps), var biased (1/n).
void layernorm_forward(const float* x, int64_t n, float* y, float eps = kNormEps);
// dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat the forward output.
void layernorm_backward(const float* x, const float* dy, int64_t n, float* dx, float eps = kNormEps);

// The "subln" RMSNorm of S4/S3 layers, in front of their activation
// quantizer: y = x / sqrt(mean(x^2) + eps), no weight, statistics in double.
// (The model's weighted RMSNorm over rows, f32 with kept 1/rms, is
// rms_norm_forward in nn/rms_norm.hpp.)
void subln_forward(const float* x, int64_t n, float* y, float eps = kNormEps);
// dx = r * dy - x * r^3 * mean(dy * x), r = 1 / sqrt(mean(x^2) + eps).
void subln_backward(const float* x, const float* dy, int64_t n, float* dx, float eps = kNormEps);

}  // namespace lowbit

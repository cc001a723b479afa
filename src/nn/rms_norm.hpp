// RMSNorm, forward and backward side by side:
//   y = x / sqrt(mean(x^2) + eps) * w      (w null: no affine weight)
// The forward can keep 1/rms per row for the backward. This is the model's
// norm (attn_norm, ffn_norm, the sub-norms, output_norm); the unweighted one
// inside S3/S4 layers is subln_forward (nn/norms.hpp).
#pragma once

#include <cstdint>

namespace lowbit {

// x, y [rows, n] (y may alias x); inv_rms [rows] may be null.
void rms_norm_forward(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y, float* inv_rms);

// dx [rows, n] is overwritten (may alias dy); dw [n] is accumulated into
// (null: skip). inv_rms is what the forward kept.
void rms_norm_backward(const float* x, const float* w, const float* inv_rms, const float* dy, int64_t rows, int64_t n,
                       float* dx, float* dw);

}  // namespace lowbit

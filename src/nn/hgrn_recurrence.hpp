// The elementwise pieces of HGRN-Bit's token mixer and MLP (docs/MATH.md
// S6): the lower bounds, the gates, the recurrence scan, the swish-gated
// RMSNorm and the swiglu product, forward and backward (for training; the
// backward recomputes the cheap elementwise values from the forward's
// inputs). Rows are tokens; everything is f32 with the statistics of the
// norm in double (as nn/rms_norm does).
#pragma once

#include <cstdint>

namespace lowbit {

// Per-layer lower bounds from the raw parameter raw [L, D]:
// lb = softmax over layers, out_l = cumsum(lb)_l - lb_0 (out_0 = 0).
void hgrn_lower_bounds(const float* raw, int64_t L, int64_t D, float* out);
// draw [L, D] (overwritten) from dout [L, D] (row 0 is ignored: layer 0 uses none).
void hgrn_lower_bounds_backward(const float* raw, const float* dout, int64_t L, int64_t D, float* draw);

// In place over [T, E]: f = sigmoid(f), then lb + (1 - lb) f where
// lower_bound [E] is not null; i = silu(i) * (1 - f).
void hgrn_gates(float* i, float* f, const float* lower_bound, int64_t T, int64_t E);

// h_t = f_t * h_{t-1} + i_t over t = 0 .. T-1, starting from h [E] and
// leaving h_{T-1} in it; o [T, E] gets every h_t (o may alias i).
void hgrn_scan(const float* i, const float* f, int64_t T, int64_t E, float* h, float* o);

// FusedRMSNormSwishGate: y = x / sqrt(mean(x^2) + eps) * w * (o * sigmoid(o))
// per row of [T, n] (y may alias x, not o).
void swish_gated_rms_norm(const float* x, const float* w, const float* o, int64_t T, int64_t n, float eps, float* y);

// swiglu over rows of u [T, 2F] (gate then up): out [T, F] = silu(gate) * up
// (out may alias u: row t is written after it is read, at or before it).
void swiglu_rows(const float* u, int64_t T, int64_t F, float* out);

// Backward of hgrn_gates + hgrn_scan from pre-activations iz, fz [T, E]
// (as passed to hgrn_gates), lower_bound [E] or null, the scan's outputs
// h [T, E], its initial state h0 [E] (null: zeros) and do_ [T, E]:
// writes diz, dfz [T, E]; adds into dlb [E] when both lower_bound and dlb
// are not null.
void hgrn_mixer_backward(const float* iz, const float* fz, const float* lower_bound, const float* h, const float* h0,
                         const float* do_, int64_t T, int64_t E, float* diz, float* dfz, float* dlb);

// Backward of swish_gated_rms_norm: dx, do_ [T, n] written, dw [n] added into.
void swish_gated_rms_norm_backward(const float* x, const float* w, const float* o, const float* dy, int64_t T,
                                   int64_t n, float eps, float* dx, float* dw, float* do_);

// Backward of swiglu_rows: du [T, 2F] from u [T, 2F] and dout [T, F].
void swiglu_rows_backward(const float* u, const float* dout, int64_t T, int64_t F, float* du);

}  // namespace lowbit

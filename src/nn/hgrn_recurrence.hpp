// The elementwise pieces of HGRN-Bit's token mixer and MLP (docs/MATH.md
// S6), forward: the gates, the recurrence scan, the swish-gated RMSNorm and
// the swiglu product. Rows are tokens; everything is f32 with the
// statistics of the norm in double (as nn/rms_norm does).
#pragma once

#include <cstdint>

namespace lowbit {

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

}  // namespace lowbit

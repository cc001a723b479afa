#include "nn/hgrn_recurrence.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/rms_norm.hpp"

namespace lowbit {

namespace {
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
// d silu(x) / dx and d (x sigmoid(x)) / dx (the same function).
inline float silu_grad(float x) {
  const float s = sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}
}  // namespace

void hgrn_lower_bounds(const float* raw, int64_t L, int64_t D, float* out) {
  std::vector<double> e(static_cast<size_t>(L));
  for (int64_t k = 0; k < D; ++k) {
    double mx = -INFINITY, sum = 0;
    for (int64_t l = 0; l < L; ++l) mx = std::max(mx, double(raw[l * D + k]));
    for (int64_t l = 0; l < L; ++l) sum += e[size_t(l)] = std::exp(double(raw[l * D + k]) - mx);
    double cum = 0;
    for (int64_t l = 0; l < L; ++l) {
      cum += e[size_t(l)] / sum;
      out[l * D + k] = float(cum - e[0] / sum);
    }
  }
}

void hgrn_lower_bounds_backward(const float* raw, const float* dout, int64_t L, int64_t D, float* draw) {
  std::vector<double> sm(static_cast<size_t>(L)), dsm(static_cast<size_t>(L));
  for (int64_t k = 0; k < D; ++k) {
    double mx = -INFINITY, sum = 0;
    for (int64_t l = 0; l < L; ++l) mx = std::max(mx, double(raw[l * D + k]));
    for (int64_t l = 0; l < L; ++l) sum += sm[size_t(l)] = std::exp(double(raw[l * D + k]) - mx);
    for (auto& v : sm) v /= sum;
    // out_l = sum_{1 <= j <= l} sm_j: d sm_j = sum_{l >= j} dout_l for j >= 1, 0 for j = 0.
    double acc = 0, dot = 0;
    for (int64_t j = L - 1; j >= 1; --j) dsm[size_t(j)] = acc += double(dout[j * D + k]);
    dsm[0] = 0;
    for (int64_t j = 0; j < L; ++j) dot += sm[size_t(j)] * dsm[size_t(j)];
    for (int64_t j = 0; j < L; ++j) draw[j * D + k] = float(sm[size_t(j)] * (dsm[size_t(j)] - dot));
  }
}

void hgrn_gates(float* i, float* f, const float* lower_bound, int64_t T, int64_t E) {
  for (int64_t t = 0; t < T; ++t) {
    float *ir = i + t * E, *fr = f + t * E;
    for (int64_t k = 0; k < E; ++k) {
      float g = sigmoid(fr[k]);
      if (lower_bound) g = lower_bound[k] + (1.0f - lower_bound[k]) * g;
      fr[k] = g;
      ir[k] = ir[k] * sigmoid(ir[k]) * (1.0f - g);
    }
  }
}

void hgrn_scan(const float* i, const float* f, int64_t T, int64_t E, float* h, float* o) {
  for (int64_t t = 0; t < T; ++t) {
    const float *ir = i + t * E, *fr = f + t * E;
    float* orow = o + t * E;
    for (int64_t k = 0; k < E; ++k) {
      h[k] = fr[k] * h[k] + ir[k];
      orow[k] = h[k];
    }
  }
}

void swish_gated_rms_norm(const float* x, const float* w, const float* o, int64_t T, int64_t n, float eps, float* y) {
  rms_norm_forward(x, w, T, n, eps, y, nullptr);
  for (int64_t k = 0; k < T * n; ++k) y[k] *= o[k] * sigmoid(o[k]);
}

void swiglu_rows(const float* u, int64_t T, int64_t F, float* out) {
  std::vector<float> row(static_cast<size_t>(F));
  for (int64_t t = 0; t < T; ++t) {
    const float *g = u + t * 2 * F, *up = g + F;
    for (int64_t k = 0; k < F; ++k) row[size_t(k)] = g[k] * sigmoid(g[k]) * up[k];
    std::copy(row.begin(), row.end(), out + t * F);
  }
}

void hgrn_mixer_backward(const float* iz, const float* fz, const float* lower_bound, const float* h, const float* h0,
                         const float* do_, int64_t T, int64_t E, float* diz, float* dfz, float* dlb) {
  std::vector<float> dh(static_cast<size_t>(E), 0.0f);  // dL/dh_t flowing back from t + 1
  for (int64_t t = T - 1; t >= 0; --t) {
    for (int64_t k = 0; k < E; ++k) {
      const int64_t at = t * E + k;
      const float s = sigmoid(fz[at]), lb = lower_bound ? lower_bound[k] : 0.0f;
      const float g = lb + (1.0f - lb) * s;
      const float d = dh[size_t(k)] + do_[at];  // dL/dh_t
      const float prev = t > 0 ? h[at - E] : (h0 ? h0[k] : 0.0f);
      // h_t = g h_{t-1} + a,  a = silu(iz) (1 - g)
      const float silu = iz[at] * sigmoid(iz[at]);
      const float dg = d * prev - d * silu;
      diz[at] = d * (1.0f - g) * silu_grad(iz[at]);
      dfz[at] = dg * (1.0f - lb) * s * (1.0f - s);
      if (lower_bound && dlb) dlb[k] += dg * (1.0f - s);
      dh[size_t(k)] = d * g;
    }
  }
}

void swish_gated_rms_norm_backward(const float* x, const float* w, const float* o, const float* dy, int64_t T,
                                   int64_t n, float eps, float* dx, float* dw, float* do_) {
  std::vector<float> normed(static_cast<size_t>(n)), dn(static_cast<size_t>(n));
  for (int64_t t = 0; t < T; ++t) {
    const float *xr = x + t * n, *orow = o + t * n, *dyr = dy + t * n;
    float inv = 0;
    rms_norm_forward(xr, w, 1, n, eps, normed.data(), &inv);
    for (int64_t k = 0; k < n; ++k) {
      do_[t * n + k] = dyr[k] * normed[size_t(k)] * silu_grad(orow[k]);
      dn[size_t(k)] = dyr[k] * orow[k] * sigmoid(orow[k]);
    }
    rms_norm_backward(xr, w, &inv, dn.data(), 1, n, dx + t * n, dw);
  }
}

void swiglu_rows_backward(const float* u, const float* dout, int64_t T, int64_t F, float* du) {
  for (int64_t t = 0; t < T; ++t) {
    const float *g = u + t * 2 * F, *up = g + F, *d = dout + t * F;
    float *dg = du + t * 2 * F, *dup = dg + F;
    for (int64_t k = 0; k < F; ++k) {
      dg[k] = d[k] * up[k] * silu_grad(g[k]);
      dup[k] = d[k] * g[k] * sigmoid(g[k]);
    }
  }
}

}  // namespace lowbit

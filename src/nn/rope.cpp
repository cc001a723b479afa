#include "nn/rope.hpp"

#include <cmath>
#include <vector>

namespace lowbit {

namespace {

void rope_rotate(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, const RopeParams& p,
                 double sign) {
  const int64_t half = head_dim / 2;
  const RopeStyle style = p.style;
  // Frequencies in double: theta^(-2i/d) computed in float drifts visibly
  // at the 500000 base of LLaMA-3/BitNet for long positions.
  std::vector<double> freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    freq[size_t(i)] = std::pow(double(p.theta), -2.0 * double(i) / double(head_dim));
    if (p.freq_factors) freq[size_t(i)] /= double(p.freq_factors[i]);
  }
  for (int64_t t = 0; t < tokens; ++t) {
    const double pos = double(pos0 + t) * double(p.freq_scale);
    for (int64_t i = 0; i < half; ++i) {
      const double angle = sign * pos * freq[size_t(i)];
      const float c = float(std::cos(angle)), s = float(std::sin(angle));
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim;
        float* a = style == RopeStyle::Neox ? v + i : v + 2 * i;
        float* b = style == RopeStyle::Neox ? v + i + half : v + 2 * i + 1;
        const float x0 = *a, x1 = *b;
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
      }
    }
  }
}

}  // namespace

void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, float theta,
                RopeStyle style, bool inverse) {
  RopeParams p;
  p.theta = theta;
  p.style = style;
  rope_rotate(x, tokens, n_heads, head_dim, pos0, p, inverse ? -1.0 : 1.0);
}

void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, const RopeParams& p) {
  rope_rotate(x, tokens, n_heads, head_dim, pos0, p, 1.0);
}

}  // namespace lowbit

#include "nn/rope.hpp"

#include <cmath>
#include <vector>

namespace lowbit {

RopeTable rope_table(int64_t tokens, int64_t head_dim, int64_t pos0, const RopeParams& p, bool inverse) {
  const int64_t half = head_dim / 2;
  const double sign = inverse ? -1.0 : 1.0;
  // Frequencies in double: theta^(-2i/d) computed in float drifts visibly
  // at the 500000 base of LLaMA-3/BitNet for long positions.
  std::vector<double> freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    freq[size_t(i)] = std::pow(double(p.theta), -2.0 * double(i) / double(head_dim));
    if (p.freq_factors) freq[size_t(i)] /= double(p.freq_factors[i]);
  }
  RopeTable t;
  t.tokens = tokens, t.half = half;
  t.cos.resize(size_t(tokens * half));
  t.sin.resize(size_t(tokens * half));
  for (int64_t k = 0; k < tokens; ++k) {
    const double pos = double(pos0 + k) * double(p.freq_scale);
    for (int64_t i = 0; i < half; ++i) {
      const double angle = sign * pos * freq[size_t(i)];
      t.cos[size_t(k * half + i)] = float(std::cos(angle));
      t.sin[size_t(k * half + i)] = float(std::sin(angle));
    }
  }
  return t;
}

void rope_apply(float* x, int64_t n_heads, int64_t head_dim, RopeStyle style, const RopeTable& table) {
  const int64_t half = table.half;
  // Neox pairs (i, i + half), interleaved pairs (2i, 2i + 1).
  const int64_t stride = style == RopeStyle::Neox ? 1 : 2, offset = style == RopeStyle::Neox ? half : 1;
  for (int64_t t = 0; t < table.tokens; ++t) {
    const float* c = table.cos.data() + t * half;
    const float* s = table.sin.data() + t * half;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        float* a = v + stride * i;
        float* b = a + offset;
        const float x0 = *a, x1 = *b;
        *a = x0 * c[i] - x1 * s[i];
        *b = x0 * s[i] + x1 * c[i];
      }
    }
  }
}

void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, float theta,
                RopeStyle style, bool inverse) {
  RopeParams p;
  p.theta = theta;
  p.style = style;
  rope_apply(x, n_heads, head_dim, style, rope_table(tokens, head_dim, pos0, p, inverse));
}

void rope_apply(float* x, int64_t tokens, int64_t n_heads, int64_t head_dim, int64_t pos0, const RopeParams& p) {
  rope_apply(x, n_heads, head_dim, p.style, rope_table(tokens, head_dim, pos0, p));
}

}  // namespace lowbit

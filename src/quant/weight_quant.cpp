#include "quant/weight_quant.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "quant/act_quant.hpp"

namespace lowbit {

BinaryWeights binarize_weights(const float* w, int64_t out, int64_t in, int groups) {
  LOWBIT_CHECK(groups >= 1 && out % groups == 0, "groups must divide the output features: {} rows, {} groups", out,
               groups);
  BinaryWeights b;
  b.out = out;
  b.in = in;
  b.groups = groups;
  b.sign.resize(size_t(out * in));
  b.alpha.resize(size_t(groups));
  b.beta.resize(size_t(groups));
  const int64_t rows = out / groups;
  for (int g = 0; g < groups; ++g) {
    const float* wg = w + g * rows * in;
    const int64_t n = rows * in;
    double sum = 0, sum_abs = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += wg[i];
      sum_abs += std::fabs(wg[i]);
    }
    const float alpha = n ? float(sum / double(n)) : 0.0f;
    b.alpha[size_t(g)] = alpha;
    b.beta[size_t(g)] = n ? float(sum_abs / double(n)) : 0.0f;
    int8_t* sg = b.sign.data() + g * n;
    for (int64_t i = 0; i < n; ++i) sg[i] = double(wg[i]) - double(alpha) > 0 ? 1 : -1;
  }
  return b;
}

TernaryWeights ternarize_absmean(const float* w, int64_t n) {
  TernaryWeights t;
  t.q.resize(size_t(n));
  double sum_abs = 0;
  for (int64_t i = 0; i < n; ++i) sum_abs += std::fabs(w[i]);
  t.scale = n ? float(sum_abs / double(n)) : 0.0f;
  const double div = double(t.scale) + kQuantEps;
  for (int64_t i = 0; i < n; ++i) t.q[size_t(i)] = int8_t(std::clamp<int>(round_to_int8(w[i] / div), -1, 1));
  return t;
}

std::vector<float> absmean_ternary_values(const float* w, int64_t n) {
  const TernaryWeights t = ternarize_absmean(w, n);
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(t.q[i]) * t.scale;
  return v;
}

Int8RowWeights quantize_int8_rows(const float* w, int64_t out, int64_t in) {
  Int8RowWeights r;
  r.out = out;
  r.in = in;
  r.cb.resize(size_t(out * in));
  r.scb.resize(size_t(out));
  for (int64_t o = 0; o < out; ++o) {
    const float* wo = w + o * in;
    float m = 0;
    for (int64_t i = 0; i < in; ++i) m = std::max(m, std::fabs(wo[i]));
    r.scb[size_t(o)] = m;
    const double k = m > 0 ? 127.0 / m : 0.0;
    for (int64_t i = 0; i < in; ++i) r.cb[size_t(o * in + i)] = round_to_int8(wo[i] * k);
  }
  return r;
}

}  // namespace lowbit

// Weight quantizers of docs/MATH.md, from the f32 master weight
// W [out, in]. The statistics are computed from the float weights before
// quantizing (docs/MATH.md, "the S1 pitfall"), in double, then stored as f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lowbit {

// S1 BitLinear v1: G groups of out/G contiguous output rows; per group
// alpha_g = mean(W_g), beta_g = mean(|W_g|), sign = sign(W - alpha_g) in
// {-1, +1} with sign(0) = -1 (the paper's convention: only a strictly
// positive W - alpha maps to +1). Dequantized weight: sign * beta_g.
struct BinaryWeights {
  int64_t out = 0, in = 0;
  int groups = 1;
  std::vector<int8_t> sign;  // [out, in]
  std::vector<float> alpha, beta;  // [groups]
  int64_t rows_per_group() const { return out / groups; }
  float beta_of_row(int64_t o) const { return beta[size_t(o / rows_per_group())]; }
};
BinaryWeights binarize_weights(const float* w, int64_t out, int64_t in, int groups);

// S4 / S3 absmean ternary: s = mean(|W|) over the whole tensor,
// q = clip(round(W / (s + eps)), -1, 1). Dequantized weight: q * s.
struct TernaryWeights {
  std::vector<int8_t> q;  // [out, in], values in {-1, 0, 1}
  float scale = 0;        // s
};
TernaryWeights ternarize_absmean(const float* w, int64_t n);
// The dequantized weight q * s of ternarize_absmean, as floats (what the
// exporters and converters hand to a ternary format's from_float).
std::vector<float> absmean_ternary_values(const float* w, int64_t n);

// S5 LLM.int8 row-wise int8: SCB[o] = max_j |W[o, j]|,
// CB[o, j] = round(127 W[o, j] / SCB[o]) (0 for an all-zero row).
// Dequantized weight: CB * SCB / 127.
struct Int8RowWeights {
  int64_t out = 0, in = 0;
  std::vector<int8_t> cb;  // [out, in]
  std::vector<float> scb;  // [out]
};
Int8RowWeights quantize_int8_rows(const float* w, int64_t out, int64_t in);

}  // namespace lowbit

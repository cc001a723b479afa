// S5 LLM.int8: vector-wise int8 matmul with the mixed-precision
// decomposition (docs/MATH.md S5), the scalar reference.
//
// Outlier columns O = { j : max_t |X[t, j]| >= threshold } (threshold 0
// disables the decomposition) go through float with the dequantized weight
// CB[:, O] * SCB / 127. The other columns are quantized per token:
// cx[t] = max over non-outlier j of |X[t, j]|, X8 = round(127 X / cx), and
// Y8 = (X8 CB^T) * cx cw^T / 127^2 with cw = SCB. Y = Y8 + Yf.
#pragma once

#include <cstdint>
#include <vector>

#include "quant/weight_quant.hpp"

namespace lowbit {

// 1 for each outlier column of X [tokens, in].
std::vector<uint8_t> outlier_columns(const float* x, int64_t tokens, int64_t in, float threshold);

// X8 and cx of the int8 part: outlier columns of X8 are 0; a token whose
// non-outlier columns are all 0 gets cx = 0 and X8 = 0.
void int8_quantize_tokens(const float* x, int64_t tokens, int64_t in, const std::vector<uint8_t>& outlier,
                          int8_t* x8, float* cx);

// y [tokens, out] = Y8 + Yf for X [tokens, in] and the int8 weight w.
void int8_mixed_matmul(const float* x, int64_t tokens, const Int8RowWeights& w, float threshold, float* y);
// The same over int8 rows cb [out, in] and their scales scb [out] held
// elsewhere (the inference model keeps them in huge-page memory).
void int8_mixed_matmul(const float* x, int64_t tokens, const int8_t* cb, const float* scb, int64_t out, int64_t in,
                       float threshold, float* y);

}  // namespace lowbit

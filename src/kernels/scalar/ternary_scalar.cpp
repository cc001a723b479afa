// The reference kernels: plain loops that every SIMD path must match bit
// for bit (the tests compare them on random and edge shapes).
#include <cmath>

#include "kernels/dispatch.hpp"
#include "kernels/scalar/fwht_scalar.hpp"
#include "kernels/scalar/act_quant_scalar.hpp"
#include "kernels/scalar/vec_f32_scalar.hpp"

namespace lowbit {

namespace {

void dot_codes_scalar(const TernaryWeightsView& w, int64_t row_begin, int64_t row_end, const int8_t* xq,
                      int64_t x_stride, int64_t nt, int32_t* raw, int64_t raw_stride) {
  for (int64_t t = 0; t < nt; ++t) {
    const int8_t* x = xq + t * x_stride;
    for (int64_t o = row_begin; o < row_end; ++o) {
      int32_t acc = 0;
      for (int64_t k = 0; k < w.n_chunks; ++k) {
        const uint8_t* c = w.chunk(o, k);
        const int8_t* xk = x + 128 * k;
        for (int p = 0; p < 32; ++p)
          for (int g = 0; g < 4; ++g) acc += ((c[p] >> (6 - 2 * g)) & 3) * int32_t(xk[32 * g + p]);
      }
      raw[t * raw_stride + (o - row_begin)] = acc;
    }
  }
}

const TernaryKernels kScalar{Isa::kScalar, quantize_act_scalar, dot_codes_scalar, fwht_block_scalar,
                              dot_f32_scalar, axpy_f32_scalar};

}  // namespace

int32_t quantize_act_scalar(const float* x, int64_t in, int64_t in_pad, int8_t* q, float* act_scale) {
  float gamma = 0.0f;
  for (int64_t k = 0; k < in; ++k) gamma = std::fmax(gamma, std::fabs(x[k]));
  int32_t sum = 0;
  for (int64_t k = 0; k < in; ++k) {
    q[k] = gamma > 0.0f ? quantize_one(x[k], gamma) : int8_t(0);
    sum += q[k];
  }
  for (int64_t k = in; k < in_pad; ++k) q[k] = 0;
  *act_scale = gamma / 127.0f;
  return sum;
}

const TernaryKernels* scalar_kernels() { return &kScalar; }

}  // namespace lowbit

#include "kernels/int8_absmax.hpp"

#include <algorithm>

#include "kernels/isa.hpp"

namespace lowbit {

#if defined(__x86_64__)
bool absmax_finite_avx512(const float* x, int64_t n, float* gamma);
void int8_codes_avx512(const float* x, int64_t n, double k, int8_t* q);
#endif

ActQuantResult int8_absmax_quantize(const float* x, int64_t n, int8_t* q, uint8_t* pass) {
#if defined(__x86_64__)
  static const bool avx512 = chosen_isa() == Isa::kAvx512;
  float gamma = 0;
  if (avx512 && absmax_finite_avx512(x, n, &gamma) && gamma > 0) {
    // Finite x: |x * k| <= 127 (plus rounding), so nothing is clipped and
    // the STE mask is all ones.
    const double k = 127.0 / double(gamma);
    int8_codes_avx512(x, n, k, q);
    if (pass) std::fill(pass, pass + n, uint8_t(1));
    return {gamma, double(gamma) / 127.0};
  }
#endif
  return quant_int8_absmax(x, n, q, pass);
}

}  // namespace lowbit

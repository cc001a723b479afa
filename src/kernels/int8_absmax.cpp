#include "kernels/int8_absmax.hpp"

#include <algorithm>

namespace lowbit {

#if defined(__x86_64__)
bool absmax_finite_avx512(const float* x, int64_t n, float* gamma);
void int8_codes_avx512(const float* x, int64_t n, double k, int8_t* q);
bool absmax_finite_avx2(const float* x, int64_t n, float* gamma);
void int8_codes_avx2(const float* x, int64_t n, double k, int8_t* q);
#endif

namespace {

struct AbsmaxKernel {
  bool (*absmax_finite)(const float*, int64_t, float*);
  void (*codes)(const float*, int64_t, double, int8_t*);
};
// Portable: the reference's own loop (absmax_finite null).
const AbsmaxKernel kPortable{nullptr, nullptr};
#if defined(__x86_64__)
const AbsmaxKernel kAvx2{absmax_finite_avx2, int8_codes_avx2};
const AbsmaxKernel kAvx512{absmax_finite_avx512, int8_codes_avx512};
#endif

const AbsmaxKernel* kernel_for_isa(Isa isa) {
  IsaEntries<const AbsmaxKernel*> e{.scalar = &kPortable};
#if defined(__x86_64__)
  e.avx2 = &kAvx2, e.avx512 = &kAvx512;
#endif
  return entry_if_supported(isa, e);
}

}  // namespace

ActQuantResult int8_absmax_quantize_isa(Isa isa, const float* x, int64_t n, int8_t* q, uint8_t* pass) {
  const AbsmaxKernel* kernel = pick_for_isa(isa, kernel_for_isa);
  float gamma = 0;
  if (kernel->absmax_finite && kernel->absmax_finite(x, n, &gamma) && gamma > 0) {
    // Finite x: |x * k| <= 127 (plus rounding), so nothing is clipped and
    // the STE mask is all ones.
    const double k = 127.0 / double(gamma);
    kernel->codes(x, n, k, q);
    if (pass) std::fill(pass, pass + n, uint8_t(1));
    return {gamma, double(gamma) / 127.0};
  }
  return quant_int8_absmax(x, n, q, pass);
}

ActQuantResult int8_absmax_quantize(const float* x, int64_t n, int8_t* q, uint8_t* pass) {
  static const Isa isa = picked_isa(kernel_for_isa);
  return int8_absmax_quantize_isa(isa, x, n, q, pass);
}

}  // namespace lowbit

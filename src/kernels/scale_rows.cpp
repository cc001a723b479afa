#include "kernels/scale_rows.hpp"

namespace lowbit {

#if defined(__x86_64__)
void scale_int32_row_avx2(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y);
#endif

namespace {

void scale_int32_row_portable(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out,
                              float* y) {
  for (int64_t o = 0; o < out; ++o) y[o] = float(double(acc[o]) * x_step * (w_step ? double(w_step[o]) : w_all));
}

}  // namespace

ScaleRowFn scale_row_for_isa(Isa isa) {
  IsaEntries<ScaleRowFn> e{.scalar = scale_int32_row_portable};
#if defined(__x86_64__)
  e.avx2 = scale_int32_row_avx2;
#endif
  return entry_if_supported(isa, e);
}

void scale_int32_row(const int32_t* acc, double x_step, const float* w_step, double w_all, int64_t out, float* y) {
  static const ScaleRowFn fn = pick_for_chosen_isa(scale_row_for_isa);
  fn(acc, x_step, w_step, w_all, out, y);
}

}  // namespace lowbit

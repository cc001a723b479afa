#include "kernels/f16_matmul.hpp"

#include <algorithm>

#include "core/half.hpp"
#include "core/thread_pool.hpp"

namespace lowbit {

#if defined(__x86_64__)
namespace avx2 {
void f16_rows(const uint16_t* w, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T, float* y,
              int64_t ldy);
}
#endif

namespace {

void f16_rows_portable(const uint16_t* w, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T, float* y,
                       int64_t ldy) {
  float row[256];
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t t = 0; t < T; ++t) y[t * ldy + r] = 0;
    for (int64_t c0 = 0; c0 < cols; c0 += 256) {
      const int64_t n = std::min<int64_t>(256, cols - c0);
      for (int64_t i = 0; i < n; ++i) row[i] = fp16_to_f32(w[r * cols + c0 + i]);
      for (int64_t t = 0; t < T; ++t) {
        const float* xt = x + t * cols + c0;
        float s = 0;
        for (int64_t i = 0; i < n; ++i) s += row[i] * xt[i];
        y[t * ldy + r] += s;
      }
    }
  }
}

}  // namespace

F16RowsFn f16_rows_for(Isa isa) {
  IsaEntries<F16RowsFn> e{.scalar = f16_rows_portable};
#if defined(__x86_64__)
  e.avx2 = avx2::f16_rows;  // AVX-512 falls back to it
#endif
  return entry_if_supported(isa, e);
}

Isa f16_matmul_isa() {
  static const Isa isa = picked_isa(f16_rows_for);
  return isa;
}

void f16_matmul(const uint16_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y) {
  static const F16RowsFn fn = pick_for_chosen_isa(f16_rows_for);
  // Chunks of 512 rows (2.5 MiB of a 2560-wide head) to whichever thread
  // is free: the head is one long pass, and on a shared machine a static
  // half each would wait for the slower thread.
  ThreadPool::global().parallel_for_dynamic(rows, 512, [&](int64_t r0, int64_t r1) { fn(w, r0, r1, cols, x, T, y, rows); });
}

}  // namespace lowbit

#include "kernels/qhead_matmul.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace lowbit {

#if defined(__x86_64__)
namespace avx2 {
extern const QHeadKernels kQHeadKernels;
}
namespace avx512 {
extern const QHeadKernels kQHeadKernels;
}
#endif
#if defined(__aarch64__)
namespace neon {
extern const QHeadKernels kQHeadKernels;
}
#endif

namespace {

// Portable: 256 columns at a time through the format's own to_float, then
// plain dot products (what StreamedMatrix did for every format).
template <Format F>
void rows_portable(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const float* x, int64_t T,
                   float* y, int64_t ldy) {
  const FormatTraits& f = format_traits(F);
  float row[256];
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t t = 0; t < T; ++t) y[t * ldy + r] = 0;
    for (int64_t c0 = 0; c0 < cols; c0 += 256) {
      const int64_t n = std::min<int64_t>(256, cols - c0);
      f.to_float(w + r * row_bytes + c0 / f.block_elems * f.block_bytes, row, n);
      for (int64_t t = 0; t < T; ++t) {
        const float* xt = x + t * cols + c0;
        float s = 0;
        for (int64_t i = 0; i < n; ++i) s += row[i] * xt[i];
        y[t * ldy + r] += s;
      }
    }
  }
}

const QHeadKernels kScalar{rows_portable<Format::Q8_0>, rows_portable<Format::Q6_K>, rows_portable<Format::Q4_0>};

}  // namespace

QRowsFn QHeadKernels::for_format(Format f) const {
  switch (f) {
    case Format::Q8_0: return q8_0;
    case Format::Q6_K: return q6_k;
    case Format::Q4_0: return q4_0;
    default: return nullptr;
  }
}

bool qhead_format(Format f) { return kScalar.for_format(f) != nullptr; }

const QHeadKernels* qhead_kernels_for(Isa isa) {
  IsaEntries<const QHeadKernels*> e{.scalar = &kScalar};
#if defined(__x86_64__)
  e.avx2 = &avx2::kQHeadKernels;
  e.avx512 = &avx512::kQHeadKernels;
#endif
#if defined(__aarch64__)
  e.neon = &neon::kQHeadKernels;
#endif
  return entry_if_supported(isa, e);
}

Isa qhead_isa() {
  static const Isa isa = picked_isa(qhead_kernels_for);
  return isa;
}

void qhead_matmul(Format f, const uint8_t* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y) {
  static const QHeadKernels* k = pick_for_chosen_isa(qhead_kernels_for);
  const QRowsFn fn = k->for_format(f);
  LOWBIT_CHECK(fn != nullptr, "no head kernel for format {}", format_traits(f).name);
  const int64_t row_bytes = format_bytes(format_traits(f), cols);
  // Chunks of 512 rows to whichever thread is free, as f16_matmul.
  ThreadPool::global().parallel_for_dynamic(
      rows, 512, [&](int64_t r0, int64_t r1) { fn(w, row_bytes, r0, r1, cols, x, T, y, rows); });
}

}  // namespace lowbit

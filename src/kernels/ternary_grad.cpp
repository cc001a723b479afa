#include "kernels/ternary_grad.hpp"

#include <algorithm>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/scale_rows.hpp"

namespace lowbit {

namespace tgrad_generic {
void input_grad(const float*, int64_t, int64_t, const TernaryGradWeights&, float, float*);
void forward_i8(const int8_t*, int64_t, const TernaryGradWeights&, int32_t*);
}
#if defined(__x86_64__)
namespace tgrad_avx2 {
void input_grad(const float*, int64_t, int64_t, const TernaryGradWeights&, float, float*);
void forward_i8(const int8_t*, int64_t, const TernaryGradWeights&, int32_t*);
}
namespace tgrad_avx512 {
void input_grad(const float*, int64_t, int64_t, const TernaryGradWeights&, float, float*);
void forward_i8(const int8_t*, int64_t, const TernaryGradWeights&, int32_t*);
}
#endif

namespace {
// Packs the [rows, cols] matrix whose (r, c) entry is w[r * rs + c * cs]:
// groups of three rows, a byte per column.
void pack_groups(const int8_t* w, int64_t rows, int64_t cols, int64_t rs, int64_t cs, TernaryGradWeights& packed) {
  packed.out = rows, packed.in = cols, packed.groups = (rows + 2) / 3;
  const size_t bytes = size_t(packed.groups * cols);
  if (packed.codes.size() < bytes) packed.codes = AlignedBuffer(bytes);
  uint8_t* codes = packed.codes.as<uint8_t>();
  ThreadPool::global().parallel_for(packed.groups, 8, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t c = 0; c < cols; ++c) {
        int code = 0;
        for (int64_t j = 2; j >= 0; --j) {
          const int64_t r = 3 * g + j;
          const int v = r < rows ? w[r * rs + c * cs] : 0;
          code = 3 * code + (v > 0) - (v < 0) + 1;  // the sign: codes are -1, 0, +1
        }
        codes[g * cols + c] = uint8_t(code * 8);  // the table row's byte offset / 8
      }
  });
}
}  // namespace

void pack_ternary_grad_weights(const int8_t* w, int64_t out, int64_t in, TernaryGradWeights& packed) {
  pack_groups(w, out, in, in, 1, packed);
}

void pack_ternary_forward_weights(const int8_t* w, int64_t out, int64_t in, TernaryGradWeights& packed) {
  pack_groups(w, in, out, 1, in, packed);
}

TernaryGradFn ternary_grad_for_isa(Isa isa) {
  IsaEntries<TernaryGradFn> e{.scalar = tgrad_generic::input_grad};
#if defined(__x86_64__)
  e.avx2 = tgrad_avx2::input_grad, e.avx512 = tgrad_avx512::input_grad;
#endif
  return entry_if_supported(isa, e);
}

void ternary_input_grad(const float* dy, int64_t tokens, const TernaryGradWeights& w, float scale, float* dx) {
  if (w.out == 0) {
    std::fill(dx, dx + tokens * w.in, 0.0f);
    return;
  }
  static const TernaryGradFn fn = pick_for_chosen_isa(ternary_grad_for_isa);
  // 16-token blocks: one table fill per block serves every column.
  ThreadPool::global().parallel_for(
      (tokens + 15) / 16, 1, [&](int64_t b0, int64_t b1) { fn(dy, b0 * 16, std::min(tokens, b1 * 16), w, scale, dx); });
}

TernaryForwardFn ternary_forward_for_isa(Isa isa) {
  IsaEntries<TernaryForwardFn> e{.scalar = tgrad_generic::forward_i8};
#if defined(__x86_64__)
  e.avx2 = tgrad_avx2::forward_i8, e.avx512 = tgrad_avx512::forward_i8;
#endif
  return entry_if_supported(isa, e);
}

namespace {
TernaryForwardFn forward_fn() {
  static const TernaryForwardFn fn = pick_for_chosen_isa(ternary_forward_for_isa);
  return fn;
}
}  // namespace

void ternary_forward_i8(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, int32_t* y) {
  if (w.out == 0) {
    std::fill(y, y + tokens * w.in, 0);
    return;
  }
  // 32-token blocks: one table fill per block serves every output.
  ThreadPool::global().parallel_for((tokens + 31) / 32, 1, [&](int64_t b0, int64_t b1) {
    const int64_t t0 = b0 * 32, t1 = std::min(tokens, b1 * 32);
    forward_fn()(q + t0 * w.out, t1 - t0, w, y + t0 * w.in);
  });
}

void ternary_forward_i8_scaled(const int8_t* q, int64_t tokens, const TernaryGradWeights& w, const double* x_step,
                               double w_scale, float* y) {
  const int64_t cols = w.in;
  ThreadPool::global().parallel_for((tokens + 31) / 32, 1, [&](int64_t b0, int64_t b1) {
    thread_local std::vector<int32_t> sums;  // one block's sums, rescaled while in cache
    sums.resize(size_t(32 * cols));
    for (int64_t t0 = b0 * 32; t0 < std::min(tokens, b1 * 32); t0 += 32) {
      const int64_t nt = std::min<int64_t>(32, tokens - t0);
      if (w.out == 0) std::fill(sums.begin(), sums.end(), 0);
      else forward_fn()(q + t0 * w.out, nt, w, sums.data());
      for (int64_t t = 0; t < nt; ++t)
        scale_int32_row(sums.data() + t * cols, x_step[t0 + t], nullptr, w_scale, cols, y + (t0 + t) * cols);
    }
  });
}

}  // namespace lowbit

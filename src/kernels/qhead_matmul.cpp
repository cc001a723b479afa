#include "kernels/qhead_matmul.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/thread_pool.hpp"
#include "formats/kquant_formats.hpp"
#include "kernels/qhead_rows.hpp"

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

// Portable Q6_K against Q8_K activations: code c (0..63) of element e of a
// block (the layout of docs/FORMATS.md), each 16-element group's sum of
// (c - 32) x_q times its scale in int32 (no group sums: the other path to
// the x86 kernels' result), scaled by d_w d_x per block.
int q6_k_code(const uint8_t* blk, int e) {
  const int half = e / 128, l = e % 128, i = l / 32, j = l % 32;
  const int low = (blk[64 * half + j + 32 * (i % 2)] >> (4 * (i / 2))) & 0xF;
  return low | ((blk[128 + 32 * half + j] >> (2 * i)) & 3) << 4;
}

void q6_k_rows_portable(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                        int64_t T, float* y, int64_t ldy) {
  const int64_t nb = cols / kQ6KBlock;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t t = 0; t < T; ++t) {
      const int8_t* xt = x.codes(t);
      float s = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = w + r * row_bytes + b * kQ6KBlockBytes;
        int32_t acc = 0;
        for (int g = 0; g < 16; ++g) {
          int32_t gs = 0;
          for (int e = 16 * g; e < 16 * g + 16; ++e) gs += (q6_k_code(blk, e) - 32) * xt[b * kQ6KBlock + e];
          acc += int32_t(int8_t(blk[192 + g])) * gs;
        }
        s += fp16_to_f32(detail::fp16_bits_at(blk + 208)) * x.d[size_t(t * nb + b)] * float(acc);
      }
      y[t * ldy + r] = s;
    }
}

// Portable int8 dots: code(block, i) gives weight i of a block (0..31) as
// the kernels multiply it (Q4_0: the unsigned nibble, the -8 is taken off
// through x.ds), kOffset that -8 (0 for Q8_0).
template <int64_t kBytes, int kOffset, class Code>
void rows_a8_portable(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                      int64_t T, float* y, int64_t ldy, Code code) {
  const int64_t nb = cols / 32;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t t = 0; t < T; ++t) {
      const int8_t* xt = x.codes(t);
      float s = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = w + r * row_bytes + b * kBytes;
        int32_t acc = 0;
        for (int i = 0; i < 32; ++i) acc += int32_t(code(blk, i)) * xt[x.offset(b, i / 16) + i % 16];
        const float dw = fp16_to_f32(detail::fp16_bits_at(blk));
        s += dw * x.d[size_t(t * nb + b)] * float(acc) + float(kOffset) * dw * x.ds[size_t(t * nb + b)];
      }
      y[t * ldy + r] = s;
    }
}

void q8_0_rows_portable(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                        int64_t T, float* y, int64_t ldy) {
  rows_a8_portable<kQ8BlockBytes, 0>(w, row_bytes, r0, r1, cols, x, T, y, ldy,
                                     [](const uint8_t* blk, int i) { return int8_t(blk[2 + i]); });
}

void q4_0_rows_portable(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t cols, const QHeadActs& x,
                        int64_t T, float* y, int64_t ldy) {
  rows_a8_portable<kQ4BlockBytes, -8>(w, row_bytes, r0, r1, cols, x, T, y, ldy, [](const uint8_t* blk, int i) {
    return i < 16 ? blk[2 + i] & 0xF : blk[2 + i - 16] >> 4;
  });
}

const QHeadKernels kScalar{q8_0_rows_portable, q6_k_rows_portable, q4_0_rows_portable};

}  // namespace

bool QHeadActs::q8_k_blocks(Format f) { return f == Format::Q6_K; }

void QHeadActs::quantize(Format f, const float* x, int64_t tokens, int64_t cols_) {
  // The blocks of all tokens (a few KiB each), this thread's buffer.
  thread_local std::vector<uint8_t> buf;
  const bool k = q8_k_blocks(f);
  const int64_t bytes = cols_ / (k ? kQ8KBlock : kQ8Block) * (k ? kQ8KBlockBytes : kQ8BlockBytes);
  buf.resize(size_t(tokens * bytes));
  for (int64_t t = 0; t < tokens; ++t)
    (k ? q8_k_from_float : q8_0_from_float)(x + t * cols_, buf.data() + t * bytes, cols_);
  assign(f, buf.data(), tokens, cols_);
}

void QHeadActs::assign(Format f, const uint8_t* xq, int64_t tokens, int64_t cols_) {
  T = tokens, cols = cols_, q4_pairs = f == Format::Q4_0;
  q.resize(size_t(T * cols));
  if (q8_k_blocks(f)) {  // Q8_K blocks: codes and sums as they are
    block = kQ8KBlock, nb = cols / block;
    d.resize(size_t(T * nb));
    ds.clear();
    gsum.resize(size_t(T * cols / 16));
    for (int64_t i = 0; i < T * nb; ++i) {
      const uint8_t* blk = xq + i * kQ8KBlockBytes;
      std::memcpy(&d[size_t(i)], blk, 4);
      std::memcpy(q.data() + i * kQ8KBlock, blk + 4, kQ8KBlock);
      std::memcpy(gsum.data() + i * 16, blk + 4 + kQ8KBlock, 32);
    }
    return;
  }
  block = kQ8Block, nb = cols / block;
  d.resize(size_t(T * nb));
  ds.resize(size_t(T * nb));
  gsum.clear();
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = xq + (t * nb + b) * kQ8BlockBytes;
      int32_t sum = 0;
      for (int half = 0; half < 2; ++half) {
        int8_t* dst = q.data() + t * cols + offset(b, half);
        for (int i = 0; i < 16; ++i) {
          dst[i] = int8_t(blk[2 + 16 * half + i]);
          sum += dst[i];
        }
      }
      const size_t i = size_t(t * nb + b);
      d[i] = fp16_to_f32(detail::fp16_bits_at(blk));
      ds[i] = d[i] * float(sum);
    }
}

bool qhead_format(Format f) { return f == Format::Q8_0 || f == Format::Q6_K || f == Format::Q4_0; }

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
  LOWBIT_CHECK(qhead_format(f), "no head kernel for format {}", format_traits(f).name);
  const int64_t row_bytes = format_bytes(format_traits(f), cols);
  // x quantized once per call, then the rows. The activations are this
  // thread's; the workers get their address (a thread_local named in the
  // lambda would be each worker's own, empty one).
  thread_local QHeadActs acts;
  acts.quantize(f, x, T, cols);
  const QHeadActs& xq = acts;
  const QRowsA8Fn fn = f == Format::Q8_0 ? k->q8_0 : f == Format::Q6_K ? k->q6_k : k->q4_0;
  ThreadPool::global().parallel_for_dynamic(
      rows, 512, [&](int64_t r0, int64_t r1) { fn(w, row_bytes, r0, r1, cols, xq, T, y, rows); });
}

}  // namespace lowbit

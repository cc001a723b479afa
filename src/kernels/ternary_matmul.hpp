// Ternary (W1.58) x int8 (A8) matrix multiplication: the public API the
// layers call (S4 / BitNet b1.58 semantics, docs/MATH.md S4).
//
//   PackedTernary w = pack_ternary(codes, out, in, scale);  // or pack_tq2_0 /
//                                                           // pack_tq1_0 / pack_i2_s
//   ternary_matmul(w, x, T, y);   // x [T, in] f32, y [T, out] f32
//
// Semantics, exactly, for each token t and output o:
//   gamma_t = max_k |x[t,k]|
//   xq[t,k] = clip(round(127 * x[t,k] / gamma_t), -128, 127)  (computed in
//             double, so it is the correctly rounded quotient; round half away
//             from zero; gamma = 0 gives xq = 0)
//   acc     = sum_k w~[o,k] * xq[t,k]          (int32, w~ in {-1, 0, +1})
//   y[t,o]  = float(acc) * (scale[o] * (gamma_t / 127.0f))   (f32 ops in this order)
// Every ISA computes the same int32 accumulators and the same floats, bit for
// bit. Non-finite activations give unspecified (but memory-safe) values.
//
// Weights are repacked once, at load, into lowbit's run-time layout (tiles of
// 4 output rows, see docs/FORMATS.md) or kept in bitnet.cpp's I2_S row layout
// (for comparison); `in` is padded to 128 columns and `out` to 4 rows with
// zero weights. Scales are per output row (a per-tensor scale is repeated):
// TQ1_0/TQ2_0 blocks of one row must share one nonzero fp16 scale, as they
// do in every BitNet file (the per-tensor scale folded into each block).
// Work is split over output rows on ThreadPool::global(), so these calls must
// not be made from inside a job of that pool (it is not reentrant). Scratch
// buffers are thread_local: concurrent calls from different threads are safe.
//
// A4 activations (S3): quantize to int8 values in [-8, 7] with their own
// per-token scale and call ternary_matmul_q8; the kernels are the same.
#pragma once

#include <cstdint>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "kernels/dispatch.hpp"

namespace lowbit {

struct FormatTraits;  // formats/format.hpp

// Longest row the kernels accept: the AVX-512 decode path keeps int32 sums
// of 64 x code x activation (see kernels/avx512).
inline constexpr int64_t kTernaryMaxIn = 131072;

enum class TernaryLayout : uint8_t {
  kTiled4,  // lowbit: per 128-column chunk, 4 rows x 32 bytes back to back
  kI2sRows  // bitnet.cpp I2_S: each row's chunks back to back (needs in % 128 == 0)
};

struct PackedTernary {
  int64_t out = 0, in = 0;          // logical shape [out, in]
  int64_t out_pad = 0, in_pad = 0;  // multiples of 4 and 128
  TernaryLayout layout = TernaryLayout::kTiled4;
  AlignedBuffer codes;              // out_pad * in_pad / 4 bytes of 2-bit codes (0,1,2 = -1,0,+1)
  std::vector<float> row_scale;     // out_pad entries (0 for padding rows)

  int64_t code_bytes() const { return out_pad * in_pad / 4; }
  TernaryWeightsView view() const;
  // The ternary value of (o, k), for tests and debugging.
  int weight(int64_t o, int64_t k) const;
};

// From ternary values w[out, in] (each -1, 0 or +1, row-major) and a scale.
PackedTernary pack_ternary(const int8_t* w, int64_t out, int64_t in, float scale,
                           TernaryLayout layout = TernaryLayout::kTiled4);
// Same with one scale per output row.
PackedTernary pack_ternary_rows(const int8_t* w, int64_t out, int64_t in, const float* row_scales,
                                TernaryLayout layout = TernaryLayout::kTiled4);
// From a GGUF tensor's bytes (ne0 = in, ne1 = out) in a ternary format of the
// registry (f.ternary): blocks with their own scales go through the format's
// decode_ternary_block, I2_S's chunks are copied. Throws lowbit::Error on a
// format that is not ternary, a code that is not ternary or a row whose
// blocks disagree on the scale.
PackedTernary pack_ternary_format(const FormatTraits& f, const void* data, int64_t out, int64_t in,
                                  TernaryLayout layout = TernaryLayout::kTiled4);
// The same for one format.
PackedTernary pack_tq2_0(const void* data, int64_t out, int64_t in, TernaryLayout layout = TernaryLayout::kTiled4);
PackedTernary pack_tq1_0(const void* data, int64_t out, int64_t in, TernaryLayout layout = TernaryLayout::kTiled4);
PackedTernary pack_i2_s(const void* data, int64_t out, int64_t in, TernaryLayout layout = TernaryLayout::kTiled4);

// The rows of several matrices with the same columns and layout, one after
// another (every part but the last must have a multiple of 4 rows): one
// call then computes all their outputs from one activation quantization.
PackedTernary concat_rows(const std::vector<const PackedTernary*>& parts);

// Per-token int8 activations, rows padded with zeros to in_pad.
struct QuantizedActivations {
  int64_t tokens = 0, in = 0, in_pad = 0;
  AlignedBuffer q;                // tokens * in_pad int8
  std::vector<float> scale;       // gamma / 127 per token
  std::vector<int32_t> sum;       // sum_k q[t,k] per token
  const int8_t* row(int64_t t) const { return q.as<int8_t>() + t * in_pad; }
};

// Quantizes x [T, in] per token (the fused SIMD quantizer of `kernels`).
void quantize_activations(const float* x, int64_t T, int64_t in, QuantizedActivations& out,
                          const TernaryKernels& k = kernels());

// y [T, out] = W x as described above.
void ternary_matmul(const PackedTernary& w, const float* x, int64_t T, float* y,
                    const TernaryKernels& k = kernels());
// The same with activations already quantized: xq [T, in] int8 and
// act_scale[t] (the gamma_t / 127 that dequantizes token t).
void ternary_matmul_q8(const PackedTernary& w, const int8_t* xq, const float* act_scale, int64_t T, float* y,
                       const TernaryKernels& k = kernels());
void ternary_matmul_q8(const PackedTernary& w, const QuantizedActivations& xq, float* y,
                       const TernaryKernels& k = kernels());
// The int32 accumulators only: acc[t, o] = sum_k w~[o,k] xq[t,k].
void ternary_matmul_i32(const PackedTernary& w, const QuantizedActivations& xq, int32_t* acc,
                        const TernaryKernels& k = kernels());

}  // namespace lowbit

#include "kernels/ternary_matmul.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace lowbit {

namespace {

// Tokens per kernel call in prefill: their int8 rows (<= 16 x 6912 bytes)
// stay in L2 while one row tile's codes stay in L1.
constexpr int64_t kTokenBlock = 16;
// Rows per scheduling unit: a multiple of the 4-row tile.
constexpr int64_t kRowGrain = 4;

void check_shapes(const PackedTernary& w, int64_t in, int64_t T) {
  LOWBIT_CHECK(w.out > 0, "ternary matmul: weights are empty");
  LOWBIT_CHECK(in == w.in, "ternary matmul: activations have {} features, weights [{}, {}] expect {}", in, w.out, w.in,
               w.in);
  LOWBIT_CHECK(T >= 0, "ternary matmul: {} tokens", T);
}

// Weight bytes per row block in prefill: a block stays in L2 while every
// token block passes over it (instead of each token block streaming all of
// a thread's rows from L3 or DRAM again).
constexpr int64_t kRowBlockBytes = 256 << 10;
// Weight bytes per piece a decode thread claims: about a microsecond of
// DRAM reading, against one uncontended CAS per piece. The caller's wait
// at the barrier is about the piece the other thread is still reading:
// quiet, 2-thread decode_step/2b4t, 8 / 16 / 32 / 64 KiB pieces gave
// 2.1-2.2% / 2.1-3.1% / 3.2-3.5% / 4.1-4.4% of the step at the barriers.
constexpr int64_t kDecodePieceBytes = 8 << 10;

// Runs the kernel over rows [0, out_pad) split across the pool and hands
// each (token block, row range) of raw accumulators to `emit`.
template <typename Emit>
void run_rows(const PackedTernary& w, const QuantizedActivations& xq, const TernaryKernels& k, Emit emit) {
  const TernaryWeightsView v = w.view();
  const int64_t T = xq.tokens;
  const int64_t block_rows =
      T <= kTokenBlock ? w.out_pad : std::max<int64_t>(kRowGrain, kRowBlockBytes / (w.in_pad / 4) / 4 * 4);
  auto rows = [&](int64_t b, int64_t e) {
    thread_local std::vector<int32_t> raw;
    raw.resize(size_t(std::min(e - b, block_rows) * std::min(T, kTokenBlock)));
    for (int64_t rb = b; rb < e; rb += block_rows) {
      const int64_t re = std::min(e, rb + block_rows), n = re - rb;
      for (int64_t t0 = 0; t0 < T; t0 += kTokenBlock) {
        const int64_t nt = std::min(kTokenBlock, T - t0);
        k.dot_codes(v, rb, re, xq.row(t0), xq.in_pad, nt, raw.data(), n);
        emit(t0, nt, rb, re, raw.data());
      }
    }
  };
  if (T <= kTokenBlock && ThreadPool::global().size() > 1) {
    // Decode: a pass of tens of microseconds, bound by memory; pieces of
    // ~kDecodePieceBytes with stealing keep the threads finishing together
    // (a static half each left the caller waiting at the barrier for the
    // thread that got less bandwidth).
    const int64_t piece = std::max<int64_t>(kRowGrain, kDecodePieceBytes / (w.in_pad / 4) / kRowGrain * kRowGrain);
    ThreadPool::global().parallel_for_stealing(w.out_pad, piece, rows);
  } else {
    ThreadPool::global().parallel_for(w.out_pad, kRowGrain, rows);
  }
}

}  // namespace

void quantize_activations(const float* x, int64_t T, int64_t in, QuantizedActivations& out, const TernaryKernels& k) {
  const int64_t in_pad = (in + 127) / 128 * 128;
  if (out.q.size() < size_t(T * in_pad)) out.q = AlignedBuffer(size_t(T * in_pad));
  out.tokens = T, out.in = in, out.in_pad = in_pad;
  out.scale.resize(size_t(T));
  out.sum.resize(size_t(T));
  for (int64_t t = 0; t < T; ++t)
    out.sum[size_t(t)] = k.quantize_act(x + t * in, in, in_pad, out.q.as<int8_t>() + t * in_pad, &out.scale[size_t(t)]);
}

void ternary_matmul_i32(const PackedTernary& w, const QuantizedActivations& xq, int32_t* acc, const TernaryKernels& k) {
  check_shapes(w, xq.in, xq.tokens);
  run_rows(w, xq, k, [&](int64_t t0, int64_t nt, int64_t b, int64_t e, const int32_t* raw) {
    const int64_t end = std::min(e, w.out);
    for (int64_t t = 0; t < nt; ++t)
      for (int64_t o = b; o < end; ++o) acc[(t0 + t) * w.out + o] = raw[t * (e - b) + (o - b)] - xq.sum[size_t(t0 + t)];
  });
}

void ternary_matmul_q8(const PackedTernary& w, const QuantizedActivations& xq, float* y, const TernaryKernels& k) {
  check_shapes(w, xq.in, xq.tokens);
  const float* rs = w.row_scale.data();
  run_rows(w, xq, k, [&](int64_t t0, int64_t nt, int64_t b, int64_t e, const int32_t* raw) {
    const int64_t end = std::min(e, w.out);
    for (int64_t t = 0; t < nt; ++t) {
      const float as = xq.scale[size_t(t0 + t)];
      const int32_t sum = xq.sum[size_t(t0 + t)];
      const int32_t* r = raw + t * (e - b) - b;
      float* yt = y + (t0 + t) * w.out;
      for (int64_t o = b; o < end; ++o) yt[o] = float(r[o] - sum) * (rs[o] * as);
    }
  });
}

void ternary_matmul(const PackedTernary& w, const float* x, int64_t T, float* y, const TernaryKernels& k) {
  check_shapes(w, w.in, T);
  thread_local QuantizedActivations xq;
  quantize_activations(x, T, w.in, xq, k);
  ternary_matmul_q8(w, xq, y, k);
}

void ternary_matmul_q8(const PackedTernary& w, const int8_t* xq, const float* act_scale, int64_t T, float* y,
                       const TernaryKernels& k) {
  check_shapes(w, w.in, T);
  thread_local QuantizedActivations q;
  q.tokens = T, q.in = w.in, q.in_pad = w.in_pad;
  if (q.q.size() < size_t(T * w.in_pad)) q.q = AlignedBuffer(size_t(T * w.in_pad));
  q.scale.assign(act_scale, act_scale + T);
  q.sum.resize(size_t(T));
  for (int64_t t = 0; t < T; ++t) {
    int8_t* dst = q.q.as<int8_t>() + t * w.in_pad;
    std::memcpy(dst, xq + t * w.in, size_t(w.in));
    std::memset(dst + w.in, 0, size_t(w.in_pad - w.in));
    int32_t s = 0;
    for (int64_t j = 0; j < w.in; ++j) s += dst[j];
    q.sum[size_t(t)] = s;
  }
  ternary_matmul_q8(w, q, y, k);
}

}  // namespace lowbit

// The loops every per-ISA q-head kernel shares (internal to kernels/; see
// kernels/qhead_matmul.hpp): rows one at a time, in two sequential streams
// per range (kernels/two_streams.hpp; a second token re-reads the row from
// L1), and a row's blocks over four accumulators, so the FMAs of
// consecutive blocks do not wait on each other. Templates only: each ISA file instantiates them with
// its own vector type and flags.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/two_streams.hpp"

namespace lowbit::detail {

// The fp16 bits at p (block scales sit at odd offsets: no aligned load).
inline uint16_t fp16_bits_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return h;
}

// The rows stream from memory (a head is 185-657 MB): the hardware
// prefetcher alone left the ternary GEMV at 1/1.7 of its speed, so every
// block requests the bytes kPrefetchAhead after it (prefetches never fault,
// past the end included). n bytes from p, one request per 64-byte line
// (blocks of fewer than 64 bytes touch every line with one each).
inline constexpr int64_t kPrefetchAhead = 3072;
template <int64_t n>
inline void prefetch_ahead(const uint8_t* p) {
  for (int64_t o = 0; o < n; o += 64) __builtin_prefetch(p + kPrefetchAhead + o);
}

// y[t * ldy + r] = row_dot(w + r * row_bytes, t) for rows [r0, r1) and
// tokens t < T.
template <class RowDot>
void q_rows(const uint8_t* w, int64_t row_bytes, int64_t r0, int64_t r1, int64_t T, float* y, int64_t ldy,
            RowDot row_dot) {
  for_each_two_streams(r1 - r0, 16, [&](int64_t i) {
    const int64_t r = r0 + i;
    const uint8_t* row = w + r * row_bytes;
    for (int64_t t = 0; t < T; ++t) y[t * ldy + r] = row_dot(row, t);
  });
}

// reduce(acc) after block_dot(row + b * kBytes, b, acc[b % 4]) for the nb
// blocks of a row (acc starts at `zero`; the loop is unrolled by four so the
// accumulators stay in registers).
template <int64_t kBytes, class Acc, class BlockDot, class Reduce>
float blocks_dot(const uint8_t* row, int64_t nb, Acc zero, BlockDot block_dot, Reduce reduce) {
  Acc acc[4] = {zero, zero, zero, zero};
  int64_t b = 0;
  for (; b + 4 <= nb; b += 4)
    for (int i = 0; i < 4; ++i) {
      prefetch_ahead<kBytes>(row + (b + i) * kBytes);
      block_dot(row + (b + i) * kBytes, b + i, acc[i]);
    }
  // The tail prefetches too: a Q6_K row of 2560 columns is 10 blocks, and
  // without its last two blocks' requests 374 bytes of every row came
  // from the hardware prefetcher alone.
  for (int i = 0; b < nb; ++b, ++i) {
    prefetch_ahead<kBytes>(row + b * kBytes);
    block_dot(row + b * kBytes, b, acc[i]);
  }
  return reduce(acc);
}

}  // namespace lowbit::detail

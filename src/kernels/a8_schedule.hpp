// How the A8 matmuls split work (internal to kernels/): output rows over
// ThreadPool::global(); in prefill, blocks of rows whose weights stay in L2
// while blocks of tokens pass over them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/thread_pool.hpp"

namespace lowbit::detail {

inline constexpr int64_t kA8TokenBlock = 16;
inline constexpr int64_t kA8RowBlockBytes = 256 << 10;

// Calls fn(row_begin, row_end, token_begin, token_count) over [0, out) x [0, T).
template <typename Fn>
void a8_for_blocks(int64_t out, int64_t row_bytes, int64_t T, Fn fn) {
  const int64_t block_rows =
      T <= kA8TokenBlock ? out : std::max<int64_t>(4, kA8RowBlockBytes / std::max<int64_t>(1, row_bytes) / 4 * 4);
  ThreadPool::global().parallel_for(out, 4, [&](int64_t b, int64_t e) {
    for (int64_t rb = b; rb < e; rb += block_rows) {
      const int64_t re = std::min(e, rb + block_rows);
      for (int64_t t0 = 0; t0 < T; t0 += kA8TokenBlock) fn(rb, re, t0, std::min(kA8TokenBlock, T - t0));
    }
  });
}

}  // namespace lowbit::detail

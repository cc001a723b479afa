// The loop nest every SIMD A8 kernel shares (internal to kernels/): tokens
// in blocks of NB then one at a time, each block's per-token activation sums
// computed once, and rows in tiles of 4 then one at a time. The ISA files
// supply the register tile; this header holds only templates instantiated
// with their lambdas, so each instantiation is compiled with its own ISA's
// flags.
#pragma once

#include <cstdint>
#include <type_traits>

namespace lowbit::detail {

template <int N>
using Count = std::integral_constant<int, N>;

// For row tiles [r, r + NR) over all rows: tile(Count<NR>, Count<NB>, r, t, xsum).
template <int NB, class Sum, class Tile>
void a8_rows(int64_t rows, int64_t t, const Sum* xsum, Tile& tile) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) tile(Count<4>{}, Count<NB>{}, r, t, xsum);
  for (; r < rows; ++r) tile(Count<1>{}, Count<NB>{}, r, t, xsum);
}

// Calls tile(Count<NR>{}, Count<nb>{}, row, token, xsum) over rows x nt
// tokens, nb = NB or 1, with xsum[i] = sum_token(token + i) (sum_token
// returns the sum type; pass a function returning 0 where the tile needs no
// sums).
template <int NB, class SumToken, class Tile>
void a8_tiled(int64_t rows, int64_t nt, SumToken sum_token, Tile tile) {
  using Sum = decltype(sum_token(int64_t(0)));
  Sum xsum[NB];
  int64_t t = 0;
  for (; t + NB <= nt; t += NB) {
    for (int i = 0; i < NB; ++i) xsum[i] = sum_token(t + i);
    a8_rows<NB>(rows, t, xsum, tile);
  }
  for (; t < nt; ++t) {
    xsum[0] = sum_token(t);
    a8_rows<1>(rows, t, xsum, tile);
  }
}

// A whole dot_i8 / dot_bin1 entry of an A8Kernels table (weights W = int8_t
// or packed bits) from an ISA's register tile: calls
//   tile(Count<NR>, Count<nb>, w + r * w_stride, w_stride, x + t * x_stride,
//        x_stride, n, xsum, acc + t * acc_stride + r, acc_stride)
// with xsum[i] = sum_bytes(row t + i of x, n).
template <int NB, class W, class Sum, class Tile>
void a8_dot(const W* w, int64_t w_stride, int64_t rows, const int8_t* x, int64_t x_stride, int64_t nt, int64_t n,
            int32_t* acc, int64_t acc_stride, Sum (*sum_bytes)(const int8_t*, int64_t), Tile tile) {
  a8_tiled<NB>(
      rows, nt, [&](int64_t t) { return sum_bytes(x + t * x_stride, n); },
      [&](auto nr, auto nb, int64_t r, int64_t t, const Sum* xsum) {
        tile(nr, nb, w + r * w_stride, w_stride, x + t * x_stride, x_stride, n, xsum, acc + t * acc_stride + r,
             acc_stride);
      });
}

}  // namespace lowbit::detail

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

}  // namespace lowbit::detail

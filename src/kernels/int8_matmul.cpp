#include "kernels/int8_matmul.hpp"

#include "core/error.hpp"
#include "kernels/a8_schedule.hpp"

namespace lowbit {

void int8_matmul_i32(const int8_t* w, int64_t out, int64_t in, const int8_t* x, int64_t T, int32_t* acc,
                     const A8Kernels& k) {
  LOWBIT_CHECK(out >= 0 && in >= 0 && T >= 0, "int8 matmul: bad shape w [{}, {}], {} tokens", out, in, T);
  LOWBIT_CHECK(in <= kInt8MaxIn, "int8 matmul: {} input features, at most {} keep the int32 sums exact", in,
               kInt8MaxIn);
  if (out == 0 || T == 0) return;
  detail::a8_for_blocks(out, in, T, [&](int64_t rb, int64_t re, int64_t t0, int64_t nt) {
    k.dot_i8(w + rb * in, in, re - rb, x + t0 * in, in, nt, in, acc + t0 * out + rb, out);
  });
}

}  // namespace lowbit

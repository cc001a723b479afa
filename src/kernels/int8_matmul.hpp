// Int8 x int8 matrix multiplication with int32 accumulation (the integer
// core of LLM.int8, S5; quant/int8_decompose.cpp adds the scales and the
// outlier columns):
//
//   acc[t, o] = sum_k w[o, k] * x[t, k]     w [out, in], x [T, in], row-major int8
//
// exact on every ISA (kernels/a8_kernels.hpp). Rows are split over
// ThreadPool::global(), so it must not be called from inside a job of that
// pool; it keeps no state, so concurrent calls from other threads are safe.
#pragma once

#include <cstdint>

#include "kernels/a8_kernels.hpp"

namespace lowbit {

// Throws lowbit::Error if in > kInt8MaxIn (the int32 sum could overflow).
void int8_matmul_i32(const int8_t* w, int64_t out, int64_t in, const int8_t* x, int64_t T, int32_t* acc,
                     const A8Kernels& k = a8_kernels());

}  // namespace lowbit

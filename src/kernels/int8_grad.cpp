#include "kernels/int8_grad.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/amx.hpp"

namespace lowbit {

#if defined(__x86_64__)
namespace amx {  // kernels/amx/int8_grad_amx.cpp
int64_t k_tiles(int64_t k);
int64_t pad32(int64_t n);
void pack_b_int8(const int8_t* b, int64_t K, int64_t N, int64_t nt0, int64_t nt1, uint16_t* out);
void pack_at_int8(const int8_t* a, int64_t lda, int64_t K, int64_t M, int64_t mt0, int64_t mt1, uint16_t* out);
void gemm_f32a_tiles_b(const float* A, int64_t lda, int64_t m0, int64_t m1, int64_t K, float scale, const uint16_t* B,
                       int64_t N, float* C, int64_t ldc);
void gemm_tiles_a_f32b_acc_t(const uint16_t* A, int64_t M, int64_t K, const float* Bf, int64_t ldb, const float* ks,
                             int64_t n0, int64_t n1, float* C, int64_t ldc);
}  // namespace amx
#endif

namespace {

void require_amx() { LOWBIT_CHECK(amx_usable(), "int8_grad: the AMX kernels cannot run on this machine"); }

// An operand of `n` (padded to 32) by `k` (padded to 32) bf16 values.
void size_tiles(AlignedBuffer& b, int64_t n, int64_t k) {
  const size_t bytes = size_t((n + 31) / 32 * 32) * size_t((k + 31) / 32 * 32) * 2;
  if (b.size() < bytes) b = AlignedBuffer(bytes);
}

}  // namespace

#if defined(__x86_64__)

void pack_int8_grad_weights(const int8_t* w, int64_t out, int64_t in, Int8GradWeights& packed) {
  require_amx();
  packed.out = out, packed.in = in;
  size_tiles(packed.tiles, in, out);
  // B = w~ [K = out, N = in]
  ThreadPool::global().parallel_for(amx::pad32(in) / 16, 1, [&](int64_t t0, int64_t t1) {
    amx::pack_b_int8(w, out, in, t0, t1, packed.tiles.as<uint16_t>());
  });
}

void int8_input_grad(const float* dy, int64_t tokens, const Int8GradWeights& w, float scale, float* dx) {
  require_amx();
  ThreadPool::global().parallel_for((tokens + 31) / 32, 1, [&](int64_t b0, int64_t b1) {
    amx::gemm_f32a_tiles_b(dy, w.out, b0 * 32, std::min(tokens, b1 * 32), w.out, scale, w.tiles.as<uint16_t>(), w.in,
                           dx, w.in);
  });
}

void pack_int8_grad_codes(const int8_t* q, int64_t tokens, int64_t in, Int8GradCodes& packed) {
  require_amx();
  packed.tokens = tokens, packed.in = in;
  size_tiles(packed.tiles, in, tokens);
  // A = q^T [M = in, K = tokens]
  ThreadPool::global().parallel_for(amx::pad32(in) / 16, 1, [&](int64_t t0, int64_t t1) {
    amx::pack_at_int8(q, in, tokens, in, t0, t1, packed.tiles.as<uint16_t>());
  });
}

void int8_weight_grad(const float* dy, int64_t out, const float* step, const Int8GradCodes& q, float* dw) {
  require_amx();
  ThreadPool::global().parallel_for((out + 31) / 32, 1, [&](int64_t b0, int64_t b1) {
    amx::gemm_tiles_a_f32b_acc_t(q.tiles.as<uint16_t>(), q.in, q.tokens, dy, out, step, b0 * 32, std::min(out, b1 * 32),
                                 dw, q.in);
  });
}

#else

void pack_int8_grad_weights(const int8_t*, int64_t, int64_t, Int8GradWeights&) { require_amx(); }
void int8_input_grad(const float*, int64_t, const Int8GradWeights&, float, float*) { require_amx(); }
void pack_int8_grad_codes(const int8_t*, int64_t, int64_t, Int8GradCodes&) { require_amx(); }
void int8_weight_grad(const float*, int64_t, const float*, const Int8GradCodes&, float*) { require_amx(); }

#endif

}  // namespace lowbit

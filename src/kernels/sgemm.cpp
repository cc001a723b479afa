#include "kernels/sgemm.hpp"


namespace lowbit {

namespace sgemm_generic {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
void sgemm_single_thread(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                         float*, int64_t);
}
#if defined(__x86_64__)
namespace sgemm_avx2 {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
void sgemm_single_thread(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                         float*, int64_t);
}
namespace sgemm_avx512 {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
void sgemm_single_thread(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float,
                         float*, int64_t);
}
#endif

SgemmFn sgemm_for_isa(Isa isa) {
  // kScalar: the portable build of the same code (vector extensions); NEON
  // falls back to it.
  IsaEntries<SgemmFn> e{.scalar = sgemm_generic::sgemm};
#if defined(__x86_64__)
  e.avx2 = sgemm_avx2::sgemm, e.avx512 = sgemm_avx512::sgemm;
#endif
  return entry_if_supported(isa, e);
}

Isa sgemm_isa() {
  static const Isa isa = picked_isa(sgemm_for_isa);
  return isa;
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc) {
  static const SgemmFn fn = pick_for_chosen_isa(sgemm_for_isa);
  fn(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

namespace {
SgemmFn single_thread_for_isa(Isa isa) {
  IsaEntries<SgemmFn> e{.scalar = sgemm_generic::sgemm_single_thread};
#if defined(__x86_64__)
  e.avx2 = sgemm_avx2::sgemm_single_thread, e.avx512 = sgemm_avx512::sgemm_single_thread;
#endif
  return entry_if_supported(isa, e);
}
}  // namespace

void sgemm_single_thread(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                         const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  static const SgemmFn fn = pick_for_chosen_isa(single_thread_for_isa);
  fn(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace lowbit

// Every SGEMM implementation the host can run against a naive triple loop
// in double, on all four transpose cases, ragged shapes and beta != 0.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"
#include "../common/per_isa.hpp"

namespace lowbit {
namespace {

class SgemmTest : public PerIsa {};

struct Case {
  int64_t M, N, K;
};

TEST_P(SgemmTest, MatchesNaiveLoop) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  SgemmFn fn = pick_for_isa(GetParam(), sgemm_for_isa);
  Rng rng(11);
  for (const Case c : {Case{1, 1, 1}, Case{7, 13, 5}, Case{6, 32, 256}, Case{37, 70, 300}, Case{130, 3, 513},
                       Case{2, 200, 17}, Case{64, 64, 0}}) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (float beta : {0.0f, 0.5f}) {
          const int64_t lda = ta ? c.M + 3 : c.K + 1, ldb = tb ? c.K + 2 : c.N + 5, ldc = c.N + 4;
          std::vector<float> A(size_t((ta ? c.K : c.M) * lda + 1)), B(size_t((tb ? c.N : c.K) * ldb + 1)),
              C(size_t(c.M * ldc));
          for (auto& v : A) v = float(rng.normal());
          for (auto& v : B) v = float(rng.normal());
          for (auto& v : C) v = float(rng.normal());
          std::vector<float> want = C;
          for (int64_t i = 0; i < c.M; ++i)
            for (int64_t j = 0; j < c.N; ++j) {
              double acc = 0;
              for (int64_t k = 0; k < c.K; ++k)
                acc += double(ta ? A[size_t(k * lda + i)] : A[size_t(i * lda + k)]) *
                       double(tb ? B[size_t(j * ldb + k)] : B[size_t(k * ldb + j)]);
              float& w = want[size_t(i * ldc + j)];
              w = float(acc + (beta == 0.0f ? 0.0 : double(beta) * w));
            }
          fn(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
          for (int64_t i = 0; i < c.M; ++i)
            for (int64_t j = 0; j < c.N; ++j) {
              // f32 accumulation of K products of N(0,1) values: error grows like sqrt(K) ulps.
              const float tol = 1e-5f * std::sqrt(float(c.K) + 1) * 4;
              ASSERT_NEAR(C[size_t(i * ldc + j)], want[size_t(i * ldc + j)], tol)
                  << isa_name(GetParam()) << " M" << c.M << " N" << c.N << " K" << c.K << " ta" << ta << " tb" << tb << " beta"
                  << beta << " at " << i << "," << j;
            }
        }
  }
}

// The single-thread entry (callers that split work themselves): the same
// products as the naive loop, and bit for bit the pooled SGEMM's (both sum
// each element over k in the same order), at a pool of 2.
TEST(SgemmSingleThread, MatchesNaiveLoopAndThePooledSgemm) {
  ThreadPool::set_global_threads(2);
  Rng rng(12);
  for (const Case c : {Case{128, 128, 64}, Case{128, 64, 128}, Case{13, 70, 9}, Case{5, 5, 0}})
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const int64_t lda = ta ? c.M : c.K, ldb = tb ? c.K : c.N;
        std::vector<float> A(size_t(c.M * c.K + 1)), B(size_t(c.K * c.N + 1)), C1(size_t(c.M * c.N), 0.25f);
        for (auto& v : A) v = float(rng.normal());
        for (auto& v : B) v = float(rng.normal());
        std::vector<float> C2 = C1;
        sgemm_single_thread(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 1.0f, C1.data(), c.N);
        sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 1.0f, C2.data(), c.N);
        for (int64_t i = 0; i < c.M; ++i)
          for (int64_t j = 0; j < c.N; ++j) {
            double acc = 0.25;
            for (int64_t k = 0; k < c.K; ++k)
              acc += double(ta ? A[size_t(k * lda + i)] : A[size_t(i * lda + k)]) *
                     double(tb ? B[size_t(j * ldb + k)] : B[size_t(k * ldb + j)]);
            ASSERT_NEAR(C1[size_t(i * c.N + j)], acc, 1e-4 * std::sqrt(double(c.K) + 1)) << i << "," << j;
            ASSERT_EQ(C1[size_t(i * c.N + j)], C2[size_t(i * c.N + j)]) << i << "," << j;
          }
      }
}

TEST_P(SgemmTest, LeavesColumnsOutsideNUntouched) {
  LOWBIT_SKIP_UNSUPPORTED_ISA(GetParam());
  SgemmFn fn = pick_for_isa(GetParam(), sgemm_for_isa);
  // ldc > N: the padding columns belong to someone else.
  const int64_t M = 7, N = 9, K = 4, ldc = 12;
  std::vector<float> A(M * K, 1.0f), B(K * N, 1.0f), C(M * ldc, -3.0f);
  fn(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C.data(), ldc);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < ldc; ++j) EXPECT_EQ(C[size_t(i * ldc + j)], j < N ? 4.0f : -3.0f);
}

LOWBIT_INSTANTIATE_PER_ISA(SgemmTest);

}  // namespace
}  // namespace lowbit

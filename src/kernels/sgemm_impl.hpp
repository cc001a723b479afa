// The blocked SGEMM, written once with GCC vector extensions and compiled
// per ISA: the includer defines SGEMM_NS (the namespace, so each ISA's copy
// is a distinct symbol) and SGEMM_VEC_BYTES (32 = AVX2, 64 = AVX-512).
//
// Goto-style: B is packed into panels of NR columns ([k][NR], contiguous),
// A into panels of MR rows ([k][MR]); an MR x NR register tile accumulates
// over a KC-long slice of k. MR x NR/lanes accumulators plus the B vectors
// fill the register file (6 x 2 = 12 of 16 ymm; 6 x 2 of 32 zmm).
// No include guard: included once per ISA translation unit.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/thread_pool.hpp"

namespace lowbit::SGEMM_NS {

typedef float Vec __attribute__((vector_size(SGEMM_VEC_BYTES)));
constexpr int kLanes = SGEMM_VEC_BYTES / 4;
constexpr int MR = 6;
constexpr int NV = 2;  // vectors per tile row
constexpr int NR = NV * kLanes;
constexpr int64_t KC = 256;
constexpr int64_t MC = MR * 16;

inline float a_at(bool ta, const float* A, int64_t lda, int64_t i, int64_t k) { return ta ? A[k * lda + i] : A[i * lda + k]; }
inline float b_at(bool tb, const float* B, int64_t ldb, int64_t k, int64_t j) { return tb ? B[j * ldb + k] : B[k * ldb + j]; }

// Packs op(B)[k0:k0+kc, j0:j0+nc] into NR-column panels, zero padded.
void pack_b(bool tb, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jp = 0; jp < nc; jp += NR) {
    const int64_t w = std::min<int64_t>(NR, nc - jp);
    for (int64_t k = 0; k < kc; ++k) {
      float* dst = out + (jp / NR) * kc * NR + k * NR;
      if (!tb && w == NR) {
        std::memcpy(dst, B + (k0 + k) * ldb + j0 + jp, sizeof(float) * NR);
        continue;
      }
      for (int64_t j = 0; j < NR; ++j) dst[j] = j < w ? b_at(tb, B, ldb, k0 + k, j0 + jp + j) : 0.0f;
    }
  }
}

// Packs op(A)[i0:i0+mc, k0:k0+kc] into MR-row panels, zero padded.
// Full panels read their MR rows (or, transposed, MR consecutive columns)
// directly: with N of a few hundred, packing A is a visible share of the
// training SGEMMs.
void pack_a(bool ta, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* out) {
  for (int64_t ip = 0; ip < mc; ip += MR) {
    const int64_t h = std::min<int64_t>(MR, mc - ip);
    float* panel = out + (ip / MR) * kc * MR;
    if (h == MR && ta) {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(panel + k * MR, A + (k0 + k) * lda + i0 + ip, sizeof(float) * MR);
    } else if (h == MR) {
      const float* rows[MR];
      for (int i = 0; i < MR; ++i) rows[i] = A + (i0 + ip + i) * lda + k0;
      for (int64_t k = 0; k < kc; ++k)
        for (int i = 0; i < MR; ++i) panel[k * MR + i] = rows[i][k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i = 0; i < MR; ++i) panel[k * MR + i] = i < h ? a_at(ta, A, lda, i0 + ip + i, k0 + k) : 0.0f;
    }
  }
}

// acc = A (MR x kc) * Bp (kc x NR, packed); then C tile (h x w) = beta_eff *
// C + acc. A's element (r, k) is at a[k * a_ks + r * a_rs]: a packed panel
// (a_ks = MR, a_rs = 1) or the caller's untransposed A (1, lda).
void micro_kernel(int64_t kc, const float* a, int64_t a_ks, int64_t a_rs, const float* b, float* C, int64_t ldc,
                  int64_t h, int64_t w, float beta) {
  Vec acc[MR][NV] = {};
  const float* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = a + r * a_rs;
  for (int64_t k = 0; k < kc; ++k) {
    Vec bv[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + k * NR + v * kLanes, sizeof(Vec));
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const float ar = rows[r][k * a_ks];
      for (int v = 0; v < NV; ++v) acc[r][v] += ar * bv[v];
    }
  }
  if (h == MR && w == NR) {
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) {
        float* c = C + r * ldc + v * kLanes;
        Vec old;
        std::memcpy(&old, c, sizeof(Vec));
        Vec out = beta == 0.0f ? acc[r][v] : acc[r][v] + old * beta;
        std::memcpy(c, &out, sizeof(Vec));
      }
    return;
  }
  float tile[MR][NR];
  std::memcpy(tile, acc, sizeof(tile));
  for (int64_t r = 0; r < h; ++r)
    for (int64_t j = 0; j < w; ++j) {
      float& c = C[r * ldc + j];
      c = beta == 0.0f ? tile[r][j] : tile[r][j] + beta * c;
    }
}

// One thread's share: rows [m0, m1) x columns [n0, n1) of C. B is packed
// (read in place, its kc rows of NR floats each on their own cache lines
// and pages, measured slower); so is a transposed A (MR floats per k, each
// on its own line) and a ragged edge tile of A, zero padded. A full tile
// of an untransposed A is read in place: MR rows, each sequential in k.
void sgemm_block(bool ta, bool tb, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K, const float* A,
                 int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t nc = n1 - n0;
  if (nc <= 0 || m1 <= m0) return;
  thread_local std::vector<float> bbuf, abuf;
  bbuf.resize(size_t((nc + NR - 1) / NR * NR * KC));
  abuf.resize(size_t(MC * KC));
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    const int64_t kc = std::min(KC, K - k0);
    const float beta_k = k0 == 0 ? beta : 1.0f;  // later k slices accumulate
    pack_b(tb, B, ldb, k0, kc, n0, nc, bbuf.data());
    for (int64_t i0 = m0; i0 < m1; i0 += MC) {  // an L2-sized block of A's rows against every column panel
      const int64_t i1 = std::min(m1, i0 + MC);
      if (ta) pack_a(ta, A, lda, i0, i1 - i0, k0, kc, abuf.data());
      for (int64_t jp = 0; jp < nc; jp += NR) {
        const int64_t w = std::min<int64_t>(NR, nc - jp);
        const float* bp = bbuf.data() + (jp / NR) * kc * NR;
        for (int64_t ip = i0; ip < i1; ip += MR) {
          const int64_t h = std::min<int64_t>(MR, i1 - ip);
          float* c = C + ip * ldc + n0 + jp;
          if (ta) {
            micro_kernel(kc, abuf.data() + (ip - i0) * kc, MR, 1, bp, c, ldc, h, w, beta_k);
          } else if (h == MR) {
            micro_kernel(kc, A + ip * lda + k0, 1, lda, bp, c, ldc, h, w, beta_k);
          } else {
            pack_a(ta, A, lda, ip, h, k0, kc, abuf.data());
            micro_kernel(kc, abuf.data(), MR, 1, bp, c, ldc, h, w, beta_k);
          }
        }
      }
    }
  }
}

// C = beta * C where K = 0, and nothing where C is empty: true when that was all.
bool degenerate(int64_t M, int64_t N, int64_t K, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return true;
  if (K > 0) return false;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
  return true;
}

void sgemm_single_thread(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                         int64_t ldb, float beta, float* C, int64_t ldc) {
  if (!degenerate(M, N, K, beta, C, ldc)) sgemm_block(ta, tb, 0, M, 0, N, K, A, lda, B, ldb, beta, C, ldc);
}

void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc) {
  if (degenerate(M, N, K, beta, C, ldc)) return;
  ThreadPool& pool = ThreadPool::global();
  const int64_t threads = pool.size();
  // Split the larger dimension in tile multiples, so each thread packs only
  // its own share of the operand it does not split.
  if (M >= N || M >= MR * threads * 4) {
    pool.parallel_for((M + MR - 1) / MR, 1, [&](int64_t b, int64_t e) {
      sgemm_block(ta, tb, b * MR, std::min(M, e * MR), 0, N, K, A, lda, B, ldb, beta, C, ldc);
    });
  } else {
    pool.parallel_for((N + NR - 1) / NR, 1, [&](int64_t b, int64_t e) {
      sgemm_block(ta, tb, 0, M, b * NR, std::min(N, e * NR), K, A, lda, B, ldb, beta, C, ldc);
    });
  }
}

}  // namespace lowbit::SGEMM_NS

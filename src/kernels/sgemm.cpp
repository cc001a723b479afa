#include "kernels/sgemm.hpp"

#include <cstdlib>
#include <string_view>

#include "core/cpu_features.hpp"

namespace lowbit {

namespace sgemm_generic {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
}
#if defined(__x86_64__)
namespace sgemm_avx2 {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
}
namespace sgemm_avx512 {
void sgemm(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float, float*, int64_t);
}
#endif

namespace {

struct Choice {
  SgemmFn fn;
  const char* name;
};

Choice choose() {
  const char* env = std::getenv("LOWBIT_ISA");
  const std::string_view want = env ? env : "";
#if defined(__x86_64__)
  const CpuFeatures& f = cpu_features();
  if (want != "scalar" && want != "avx2" && f.has_avx512()) return {sgemm_avx512::sgemm, "avx512"};
  if (want != "scalar" && f.has_avx2()) return {sgemm_avx2::sgemm, "avx2"};
#endif
  return {sgemm_generic::sgemm, "generic"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc) {
  choice().fn(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

const char* sgemm_isa() { return choice().name; }

SgemmFn sgemm_for_isa(std::string_view isa) {
  if (isa == "generic") return sgemm_generic::sgemm;
#if defined(__x86_64__)
  if (isa == "avx2" && cpu_features().has_avx2()) return sgemm_avx2::sgemm;
  if (isa == "avx512" && cpu_features().has_avx512()) return sgemm_avx512::sgemm;
#endif
  return nullptr;
}

}  // namespace lowbit

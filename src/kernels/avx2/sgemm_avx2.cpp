// SGEMM compiled with AVX2 + FMA (per-file flags from src/CMakeLists.txt).
#define SGEMM_NS sgemm_avx2
#define SGEMM_VEC_BYTES 32
#include "kernels/sgemm_impl.hpp"

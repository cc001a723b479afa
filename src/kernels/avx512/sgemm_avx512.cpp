// SGEMM compiled with AVX-512 (per-file flags from src/CMakeLists.txt).
#define SGEMM_NS sgemm_avx512
#define SGEMM_VEC_BYTES 64
#include "kernels/sgemm_impl.hpp"

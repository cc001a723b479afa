// Portable SGEMM (baseline flags: SSE2 on x86-64, NEON on AArch64).
#define SGEMM_NS sgemm_generic
#define SGEMM_VEC_BYTES 16
#include "kernels/sgemm_impl.hpp"

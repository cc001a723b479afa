// The ternary input gradient compiled with AVX-512 (per-file flags from src/CMakeLists.txt).
#define TGRAD_NS tgrad_avx512
#define TGRAD_VEC_BYTES 64
#include "kernels/ternary_grad_impl.hpp"

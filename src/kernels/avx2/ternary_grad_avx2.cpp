// The ternary input gradient compiled with AVX2 (per-file flags from src/CMakeLists.txt).
#define TGRAD_NS tgrad_avx2
#define TGRAD_VEC_BYTES 32
#include "kernels/ternary_grad_impl.hpp"

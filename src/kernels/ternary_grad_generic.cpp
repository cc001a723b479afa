// Portable ternary input gradient (baseline flags).
#define TGRAD_NS tgrad_generic
#define TGRAD_VEC_BYTES 16
#include "kernels/ternary_grad_impl.hpp"

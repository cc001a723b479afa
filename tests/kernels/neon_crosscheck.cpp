// The NEON kernels against the scalar ones, built for AArch64 without the
// rest of the library (no fmt/GoogleTest needed on the target) and run under
// qemu-user by neon_crosscheck.sh. Exit status 0 when every int32 result
// matches; prints the first mismatch otherwise.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/dispatch.hpp"

using namespace lowbit;

namespace {
uint64_t state = 88172645463325252ull;
uint64_t next() {
  state ^= state << 13, state ^= state >> 7, state ^= state << 17;
  return state;
}
}  // namespace

int main() {
  const TernaryKernels* s = scalar_kernels();
  const TernaryKernels* n = neon_kernels();
  const int64_t shapes[][3] = {{4, 128, 1}, {8, 256, 3}, {12, 640, 5}, {4, 2560, 2}, {16, 384, 4}};
  int failures = 0;
  for (const auto& sh : shapes) {
    const int64_t out = sh[0], in = sh[1], nt = sh[2];
    // Random codes (0..2) in lowbit's tiled layout, random int8 activations
    // including -128.
    std::vector<uint8_t> codes(size_t(out * in / 4));
    for (auto& b : codes) {
      int v = 0;
      for (int g = 0; g < 4; ++g) v = v << 2 | int(next() % 3);
      b = uint8_t(v);
    }
    std::vector<int8_t> x(size_t(nt * in));
    for (auto& v : x) v = int8_t(int(next() % 256) - 128);
    const TernaryWeightsView w{codes.data(), in, 32, 128, in / 128};
    std::vector<int32_t> r0(size_t(nt * out)), r1(r0.size());
    s->dot_codes(w, 0, out, x.data(), in, nt, r0.data(), out);
    n->dot_codes(w, 0, out, x.data(), in, nt, r1.data(), out);
    for (size_t i = 0; i < r0.size(); ++i)
      if (r0[i] != r1[i]) {
        std::printf("mismatch %lldx%lldx%lld at %zu: scalar %d neon %d\n", (long long)out, (long long)in,
                    (long long)nt, i, r0[i], r1[i]);
        ++failures;
        break;
      }
  }
  std::printf("neon crosscheck: %s\n", failures ? "FAILED" : "all equal");
  return failures ? 1 : 0;
}

#!/bin/sh
# Cross-compiles the NEON and scalar ternary kernels with a small driver and
# runs it under qemu-user (no AArch64 GoogleTest/fmt needed). Run from the
# repository root: tests/kernels/neon_crosscheck.sh
set -eu
out=${TMPDIR:-/tmp}/lowbit-neon-crosscheck
aarch64-linux-gnu-g++ -std=c++20 -O2 -march=armv8.2-a+dotprod -Isrc \
  tests/kernels/neon_crosscheck.cpp src/kernels/scalar/ternary_scalar.cpp src/kernels/scalar/fwht_scalar.cpp src/kernels/scalar/vec_f32_scalar.cpp \
  src/kernels/neon/ternary_neon.cpp \
  -o "$out"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out"

# Cross build of the whole lowbit for AArch64 (Linux, glibc) with Debian's
# cross compiler and multiarch arm64 -dev packages (scripts/setup installs
# both):  cmake --preset aarch64 && cmake --build --preset aarch64 -j 2
# Run the result under qemu-user:
#   qemu-aarch64 -cpu max build-aarch64/bin/lowbit info --system
# (no -L /usr/aarch64-linux-gnu: the multiarch libc6:arm64 provides
# /lib/ld-linux-aarch64.so.1 and the libraries; the cross sysroot's ld.so
# with that libc.so.6, another glibc build, hangs in pthread_create)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# try_run and add_test commands go through qemu; `-cpu max` exposes the
# optional extensions (dotprod, fp16) that the NEON kernels dispatch on.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-cpu;max)

# Libraries and packages only for the target: the cross toolchain's own
# sysroot, then the multiarch tree (/usr/lib/aarch64-linux-gnu, searched
# through CMAKE_LIBRARY_ARCHITECTURE under the root "/"). Header-only
# packages (CLI11, nlohmann_json) live in /usr/share/cmake and /usr/include,
# which are the same for every architecture. Programs (pkg-config, ...) are
# the build machine's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (pcre2, cpp-httplib and its openssl/zlib/brotli) reads only the
# arm64 .pc files, never the build machine's x86_64 ones.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

// Whether this build runs under AddressSanitizer (GCC and clang say so in
// different ways). Storage code changes shape under it: every buffer comes
// from the heap (core/aligned_buffer) and gathered buffers get poisoned
// gaps (core/buffer_arena), so that overruns are still caught.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define LOWBIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOWBIT_ASAN 1
#endif
#endif

namespace lowbit {

#if defined(LOWBIT_ASAN)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

}  // namespace lowbit

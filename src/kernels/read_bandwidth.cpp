#include "kernels/read_bandwidth.hpp"

#include <algorithm>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/cpu_features.hpp"
#include "core/thread_pool.hpp"
#include "core/timer.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lowbit {

namespace {

uint64_t read_sum_portable(const uint8_t* p, size_t n) {
  uint64_t acc[4] = {};
  const uint64_t* q = reinterpret_cast<const uint64_t*>(p);
  for (size_t i = 0; i + 4 <= n / 8; i += 4) {
    acc[0] ^= q[i];
    acc[1] ^= q[i + 1];
    acc[2] ^= q[i + 2];
    acc[3] ^= q[i + 3];
  }
  return acc[0] ^ acc[1] ^ acc[2] ^ acc[3];
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t read_sum_avx2(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return uint64_t(_mm256_extract_epi64(a, 0) ^ _mm256_extract_epi64(a, 3));
}
#endif

}  // namespace

uint64_t read_sum(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (cpu_features().has_avx2()) return read_sum_avx2(p, n);
#endif
  return read_sum_portable(p, n);
}

double measure_read_bandwidth(size_t bytes, int reps) {
  bytes = std::max<size_t>(bytes / 4096 * 4096, 4096);
  AlignedBuffer buf(bytes);
  // Written first, with no two pages alike: untouched pages of a fresh
  // mapping all read the one shared zero page (from cache), and a host that
  // merges identical pages could do the same with a repeated pattern.
  uint64_t* words = buf.as<uint64_t>();
  for (size_t i = 0; i < bytes / 8; ++i) words[i] = (i + 1) * 0x9E3779B97F4A7C15ull;
  const uint8_t* p = buf.as<uint8_t>();
  ThreadPool& pool = ThreadPool::global();
  std::vector<uint64_t> sink(static_cast<size_t>(pool.size()));
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    Timer t;
    pool.run([&](int tid, int n) {
      const size_t pages = bytes / 4096, b = pages * size_t(tid) / size_t(n), e = pages * size_t(tid + 1) / size_t(n);
      sink[size_t(tid)] ^= read_sum(p + b * 4096, (e - b) * 4096);
    });
    best = std::max(best, double(bytes) / t.seconds());
  }
  volatile uint64_t keep = sink[0];
  (void)keep;
  return best;
}

}  // namespace lowbit

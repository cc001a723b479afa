// STREAM-like read bandwidth: the bound every GEMV is measured against.
// Sums a buffer much larger than the L3 with wide loads and several
// independent accumulators, over the global thread pool.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/thread_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

// 256 MiB: far beyond any L3 on the machines we run on.
constexpr size_t kBytes = size_t(256) << 20;

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t read_sum(const uint8_t* p, size_t n) {
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
#else
uint64_t read_sum(const uint8_t* p, size_t n) {
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
#endif

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = int(state.range(0));
  lowbit::ThreadPool::set_global_threads(threads);
  lowbit::AlignedBuffer buf(kBytes);
  auto* p = buf.as<uint8_t>();
  for (size_t i = 0; i < kBytes; i += 4096) p[i] = uint8_t(i >> 12);  // touch every page
  std::vector<uint64_t> sink(static_cast<size_t>(threads));
  double best = 1e30;  // fastest pass: robust to time slices lost on a shared machine
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    // Each thread reads one contiguous slice, as a row-parallel GEMV does.
    lowbit::ThreadPool::global().run([&](int tid, int n) {
      const size_t pages = kBytes / 4096, b = pages * size_t(tid) / size_t(n), e = pages * size_t(tid + 1) / size_t(n);
      sink[size_t(tid)] ^= read_sum(p + b * 4096, (e - b) * 4096);
    });
    benchmark::DoNotOptimize(sink.data());
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kBytes));
  state.counters["best_bytes_per_second"] = double(kBytes) / best;
}

}  // namespace

BENCHMARK(BM_ReadBandwidth)->Name("bandwidth/read")->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

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
#include "kernels/read_bandwidth.hpp"

namespace {

// 256 MiB: far beyond any L3 on the machines we run on.
constexpr size_t kBytes = size_t(256) << 20;

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
      sink[size_t(tid)] ^= lowbit::read_sum(p + b * 4096, (e - b) * 4096);
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

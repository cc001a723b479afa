// The f16 output-head GEMV (kernels/f16_matmul.hpp) on the 2B4T head shape:
//   gemv/f16/<rows>x<cols>/threads:<t>
// bytes_per_second counts the f16 weight bytes read per call, so it
// compares directly with bandwidth/read (the head is 58% of the bytes a
// 2B4T decode step reads).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench_util.hpp"
#include "core/aligned_buffer.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/f16_matmul.hpp"

namespace {

using namespace lowbit;

void BM_F16Gemv(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  ThreadPool::set_global_threads(int(state.range(2)));
  AlignedBuffer w(size_t(rows * cols) * 2);
  Rng rng(1);
  auto* wp = w.as<uint16_t>();
  for (int64_t i = 0; i < rows * cols; ++i) wp[i] = f32_to_fp16(0.02f * rng.normal());
  std::vector<float> x(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
  for (auto& v : x) v = rng.normal();
  bench::BestOf best;
  for (auto _ : state) {
    best.start();
    f16_matmul(wp, rows, cols, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
    best.stop();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * rows * cols * 2);
  state.counters["best_us"] = best.us();
}

}  // namespace

BENCHMARK(BM_F16Gemv)
    ->Name("gemv/f16")
    ->ArgNames({"rows", "cols", "threads"})
    ->Args({128256, 2560, 1})
    ->Args({128256, 2560, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

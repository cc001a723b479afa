// The two ternary x int8 strategies side by side, integer results only
// (activations quantized outside the timed call):
//   gemv/<format>/<out>x<in>/threads:<t>, gemm/<format>/<out>x<in>x<n>/threads:<t>
// format: tiled (4-row tiles, best ISA), tiled_avx2 (the same, AVX2
// kernels), lut_avx2 (table lookup, kernels/ternary_lut.hpp). bytes_per_second
// counts weight bytes (2 bits per weight for both); best_us is the fastest call.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "core/thread_pool.hpp"
#include "kernels/ternary_lut.hpp"
#include "kernels/ternary_matmul.hpp"

namespace {

using namespace lowbit;

struct Shape {
  int64_t out, in;
};
const Shape kShapes[] = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {16384, 16384}};
constexpr int64_t kPrefillTokens = 128;

std::vector<int8_t> ternary(int64_t n) { return bench::random_ternary(n, 1); }

QuantizedActivations acts(int64_t T, int64_t in) {
  const std::vector<float> x = bench::random_acts(T * in, 2);
  QuantizedActivations q;
  quantize_activations(x.data(), T, in, q);
  return q;
}

template <typename Call>
void timed(benchmark::State& st, int64_t bytes, int64_t ops, Call call) {
  bench::BestOf best;
  for (auto _ : st) {
    best.start();
    call();
    best.stop();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * bytes);
  st.SetItemsProcessed(int64_t(st.iterations()) * ops);
  st.counters["best_us"] = best.us();
}

void run_tiled(benchmark::State& st, Shape s, int64_t n, int threads, const TernaryKernels& k) {
  ThreadPool::set_global_threads(threads);
  const auto w = ternary(s.out * s.in);
  const PackedTernary p = pack_ternary(w.data(), s.out, s.in, 1.0f);
  const QuantizedActivations x = acts(n, s.in);
  std::vector<int32_t> acc(size_t(n * s.out));
  timed(st, p.code_bytes(), 2 * s.out * s.in * n, [&] {
    ternary_matmul_i32(p, x, acc.data(), k);
    benchmark::DoNotOptimize(acc.data());
  });
}

void run_lut(benchmark::State& st, Shape s, int64_t n, int threads, const TernaryLutKernels& k) {
  ThreadPool::set_global_threads(threads);
  const auto w = ternary(s.out * s.in);
  const PackedTernaryLut p = pack_ternary_lut(w.data(), s.out, s.in);
  const QuantizedActivations x = acts(n, s.in);
  std::vector<int32_t> acc(size_t(n * s.out));
  timed(st, p.out_pad * p.in_pad / 4, 2 * s.out * s.in * n, [&] {
    ternary_lut_matmul_i32(p, x, acc.data(), k);
    benchmark::DoNotOptimize(acc.data());
  });
}

void register_all() {
  const TernaryKernels* avx2 = kernels_for(Isa::kAvx2);
  const TernaryLutKernels* lut = ternary_lut_kernels_for(Isa::kAvx2);
  if (!avx2 || !lut) return;
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  for (const Shape& s : kShapes)
    for (int t : {1, 2}) {
      const std::string d = std::to_string(s.out) + "x" + std::to_string(s.in), th = "/threads:" + std::to_string(t);
      for (int64_t n : {int64_t(1), kPrefillTokens}) {
        if (n > 1 && s.out * s.in > 64 << 20) continue;
        const std::string tail = n == 1 ? d + th : d + "x" + std::to_string(n) + th;
        const std::string kind = n == 1 ? "gemv/" : "gemm/";
        reg(kind + "tiled/" + tail, [=](benchmark::State& st) { run_tiled(st, s, n, t, kernels()); });
        reg(kind + "tiled_avx2/" + tail, [=](benchmark::State& st) { run_tiled(st, s, n, t, *avx2); });
        reg(kind + "lut_avx2/" + tail, [=](benchmark::State& st) { run_lut(st, s, n, t, *lut); });
      }
    }
}

const bool kRegistered = (register_all(), true);

}  // namespace

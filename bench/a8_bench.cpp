// A8 kernels: int8 x int8 (LLM.int8) and binary x int8 (BitLinear v1).
//   gemv/<format>/<out>x<in>/threads:<t>
//   gemm/<format>/<out>x<in>x<n>/threads:<t>
//   layer/<bitlinear|int8>/<out>x<in>x<n>/threads:1 (whole forward: quantization,
//   sign packing, scales, outlier columns)
// format: int8, bin1 (best ISA), int8_avx2, bin1_avx2 (the AVX2 tables),
// int8_sgemm (the exact chunked-SGEMM path the layers used before, with the
// weights already in f32: its conversions are not timed).
// bytes_per_second counts weight bytes read per call (1 per int8 weight,
// 1/8 per binary one); items_per_second counts 2*out*in*n ops; best_us is
// the fastest call (the fair figure on a shared machine).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/binary_matmul.hpp"
#include "kernels/int8_matmul.hpp"
#include "nn/bit_linear.hpp"
#include "nn/hbit_linear.hpp"
#include "nn/int8_linear.hpp"
#include "quant/int_matmul.hpp"

namespace {

using namespace lowbit;
using bench::BestOf;

struct Shape {
  int64_t out, in;
};
const Shape kShapes[] = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {8192, 8192}};
constexpr int64_t kPrefillTokens = 128;

std::vector<int8_t> random_i8(int64_t n, uint64_t seed, int lo = -127, int hi = 127) {
  Rng rng(seed);
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (auto& e : v) e = int8_t(lo + int(rng.next_u64() % uint64_t(hi - lo + 1)));
  return v;
}

template <typename Call>
void timed(benchmark::State& state, int64_t weight_bytes, int64_t out, int64_t in, int64_t n, Call call) {
  BestOf best;
  for (auto _ : state) {
    best.start();
    call();
    best.stop();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * weight_bytes);
  state.SetItemsProcessed(int64_t(state.iterations()) * 2 * out * in * n);
  state.counters["best_us"] = best.us();
}

void run_int8(benchmark::State& st, Shape s, int64_t n, int threads, const A8Kernels& k) {
  ThreadPool::set_global_threads(threads);
  const auto w = random_i8(s.out * s.in, 1), x = random_i8(n * s.in, 2);
  std::vector<int32_t> acc(size_t(n * s.out));
  timed(st, s.out * s.in, s.out, s.in, n, [&] {
    int8_matmul_i32(w.data(), s.out, s.in, x.data(), n, acc.data(), k);
    benchmark::DoNotOptimize(acc.data());
  });
}

void run_int8_sgemm(benchmark::State& st, Shape s, int64_t n, int threads) {
  ThreadPool::set_global_threads(threads);
  const auto w = random_i8(s.out * s.in, 1), x = random_i8(n * s.in, 2);
  const std::vector<float> wf(w.begin(), w.end()), xf(x.begin(), x.end());
  std::vector<double> acc(size_t(n * s.out));
  timed(st, s.out * s.in, s.out, s.in, n, [&] {
    exact_int_matmul(xf.data(), wf.data(), n, s.in, s.out, 127.0 * 127.0, acc.data());
    benchmark::DoNotOptimize(acc.data());
  });
}

void run_bin1(benchmark::State& st, Shape s, int64_t n, int threads, const A8Kernels& k) {
  ThreadPool::set_global_threads(threads);
  const auto sg = random_i8(s.out * s.in, 3, 0, 1);  // 0 packs as -1
  const PackedBinary p = pack_binary(sg.data(), s.out, s.in);
  const auto x = random_i8(n * s.in, 4);
  std::vector<int32_t> acc(size_t(n * s.out));
  timed(st, p.bytes(), s.out, s.in, n, [&] {
    binary_matmul_i32(p, x.data(), n, acc.data(), k);
    benchmark::DoNotOptimize(acc.data());
  });
}

// Whole layer forwards (activation quantization, packing, scales included):
// what the kernels buy the layers.
enum class LayerKind { kBitLinear, kInt8, kHBitLinearA4 };

void run_layer(benchmark::State& st, LayerKind kind, Shape s, int64_t n) {
  ThreadPool::set_global_threads(1);
  Rng rng(5);
  Tensor w = Tensor::f32({s.out, s.in});
  for (int64_t i = 0; i < s.out * s.in; ++i) w.data<float>()[i] = rng.normal() * 0.02f;
  std::vector<float> x(size_t(n * s.in)), y(size_t(n * s.out));
  for (auto& v : x) v = rng.normal();
  LinearOptions opt;
  std::unique_ptr<LinearLayer> layer;
  int64_t weight_bytes = s.out * s.in;
  switch (kind) {
    case LayerKind::kBitLinear:
      layer = std::make_unique<BitLinear>(std::move(w), opt);
      weight_bytes = s.out * s.in / 8;
      break;
    case LayerKind::kInt8: layer = std::make_unique<Int8Linear>(std::move(w), opt); break;
    case LayerKind::kHBitLinearA4:  // S3: Hadamard transform + INT4 absmean activations
      opt.act_bits = 4;
      layer = std::make_unique<HBitLinear>(std::move(w), opt);
      break;
  }
  timed(st, weight_bytes, s.out, s.in, n, [&] {
    layer->forward(x.data(), n, y.data());
    benchmark::DoNotOptimize(y.data());
  });
}

void register_all() {
  const A8Kernels* avx2 = a8_kernels_for(Isa::kAvx2);
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  for (int64_t n : {int64_t(1), kPrefillTokens}) {
    const std::string d = "2560x2560x" + std::to_string(n) + "/threads:1";
    reg("layer/bitlinear/" + d, [=](benchmark::State& st) { run_layer(st, LayerKind::kBitLinear, {2560, 2560}, n); });
    reg("layer/int8/" + d, [=](benchmark::State& st) { run_layer(st, LayerKind::kInt8, {2560, 2560}, n); });
    reg("layer/hbitlinear_a4/" + d,
        [=](benchmark::State& st) { run_layer(st, LayerKind::kHBitLinearA4, {2560, 2560}, n); });
  }
  for (const Shape& s : kShapes)
    for (int t : {1, 2}) {
      const std::string d = std::to_string(s.out) + "x" + std::to_string(s.in);
      const std::string th = "/threads:" + std::to_string(t);
      const std::string g = d + "x" + std::to_string(kPrefillTokens) + th;
      reg("gemv/int8/" + d + th, [=](benchmark::State& st) { run_int8(st, s, 1, t, a8_kernels()); });
      if (avx2) reg("gemv/int8_avx2/" + d + th, [=](benchmark::State& st) { run_int8(st, s, 1, t, *avx2); });
      reg("gemv/int8_sgemm/" + d + th, [=](benchmark::State& st) { run_int8_sgemm(st, s, 1, t); });
      reg("gemv/bin1/" + d + th, [=](benchmark::State& st) { run_bin1(st, s, 1, t, a8_kernels()); });
      if (avx2) reg("gemv/bin1_avx2/" + d + th, [=](benchmark::State& st) { run_bin1(st, s, 1, t, *avx2); });
      if (s.out * s.in > 32 << 20) continue;  // prefill on the largest matrix: seconds per call
      reg("gemm/int8/" + g, [=](benchmark::State& st) { run_int8(st, s, kPrefillTokens, t, a8_kernels()); });
      if (avx2) reg("gemm/int8_avx2/" + g, [=](benchmark::State& st) { run_int8(st, s, kPrefillTokens, t, *avx2); });
      reg("gemm/int8_sgemm/" + g, [=](benchmark::State& st) { run_int8_sgemm(st, s, kPrefillTokens, t); });
      reg("gemm/bin1/" + g, [=](benchmark::State& st) { run_bin1(st, s, kPrefillTokens, t, a8_kernels()); });
      if (avx2) reg("gemm/bin1_avx2/" + g, [=](benchmark::State& st) { run_bin1(st, s, kPrefillTokens, t, *avx2); });
    }
}

const bool kRegistered = (register_all(), true);

}  // namespace

// Ternary GEMV/GEMM, activation quantization and repacking.
//   gemv/<format>/<out>x<in>/threads:<t>       format: lowbit (run-time layout,
//   gemm/<format>/<out>x<in>x<n>/threads:<t>   best ISA), lowbit_avx2, i2_s
//   quant/act_i8/<n>                           (bitnet.cpp's row layout, same
//   repack/<from>/<out>x<in>                   kernels), f32 (AVX2 FMA GEMV)
// bytes_per_second counts weight bytes read per call, so it compares
// directly with bandwidth/read; items_per_second counts 2*out*in*n ops.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "core/aligned_buffer.hpp"
#include "core/thread_pool.hpp"
#include "formats/format.hpp"
#include "kernels/fwht.hpp"
#include "kernels/ternary_matmul.hpp"

namespace {

using namespace lowbit;
using bench::BestOf;
using bench::random_acts;
using bench::random_ternary;

struct GemvShape {
  int64_t out, in;
};
// The BitNet b1.58 2B4T projections, and one matrix far larger than the L3.
const GemvShape kShapes[] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}, {16384, 16384}};
constexpr int64_t kPrefillTokens = 128;

void set_counters(benchmark::State& state, int64_t weight_bytes, int64_t out, int64_t in, int64_t n,
                  const BestOf& best) {
  state.SetBytesProcessed(int64_t(state.iterations()) * weight_bytes);
  state.SetItemsProcessed(int64_t(state.iterations()) * 2 * out * in * n);
  state.counters["best_us"] = best.us();
}

void run_ternary(benchmark::State& state, int64_t out, int64_t in, int64_t n, int threads, TernaryLayout layout,
                 const TernaryKernels& k) {
  ThreadPool::set_global_threads(threads);
  const auto w = random_ternary(out * in, 1);
  const PackedTernary p = pack_ternary(w.data(), out, in, 0.04f, layout);
  const auto x = random_acts(n * in, 2);
  std::vector<float> y(static_cast<size_t>(n * out));
  BestOf best;
  for (auto _ : state) {
    best.start();
    ternary_matmul(p, x.data(), n, y.data(), k);
    benchmark::DoNotOptimize(y.data());
    best.stop();
  }
  set_counters(state, p.code_bytes(), out, in, n, best);
}

// A plain f32 GEMV, one row's dot product at a time with the kernel table's
// dot_f32 (FMA with four accumulators on x86): the float baseline of the
// ratio column.
void f32_gemv_rows(const float* w, const float* x, int64_t in, int64_t b, int64_t e, float* y) {
  const TernaryKernels& k = kernels();
  for (int64_t o = b; o < e; ++o) y[o] = k.dot_f32(w + o * in, x, in);
}

void run_f32_gemv(benchmark::State& state, int64_t out, int64_t in, int threads) {
  ThreadPool::set_global_threads(threads);
  AlignedBuffer w(size_t(out * in) * 4);
  auto* wp = w.as<float>();
  for (int64_t i = 0; i < out * in; i += 1024) wp[i] = float(i % 7);  // touch pages
  const auto x = random_acts(in, 2);
  std::vector<float> y(static_cast<size_t>(out));
  BestOf best;
  for (auto _ : state) {
    best.start();
    ThreadPool::global().parallel_for(out, 8, [&](int64_t b, int64_t e) { f32_gemv_rows(wp, x.data(), in, b, e, y.data()); });
    benchmark::DoNotOptimize(y.data());
    best.stop();
  }
  set_counters(state, out * in * 4, out, in, 1, best);
}

std::string dims(const GemvShape& s) { return std::to_string(s.out) + "x" + std::to_string(s.in); }

void register_all() {
  const TernaryKernels* avx2 = kernels_for(Isa::kAvx2);
  for (const auto& s : kShapes)
    for (int t : {1, 2}) {
      const std::string tail = dims(s) + "/threads:" + std::to_string(t);
      auto reg = [&](const std::string& name, auto fn) {
        benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime()->Unit(benchmark::kMicrosecond);
      };
      reg("gemv/lowbit/" + tail, [=](benchmark::State& st) {
        run_ternary(st, s.out, s.in, 1, t, TernaryLayout::kTiled4, kernels());
      });
      if (avx2)
        reg("gemv/lowbit_avx2/" + tail, [=](benchmark::State& st) {
          run_ternary(st, s.out, s.in, 1, t, TernaryLayout::kTiled4, *avx2);
        });
      reg("gemv/i2_s/" + tail, [=](benchmark::State& st) {
        run_ternary(st, s.out, s.in, 1, t, TernaryLayout::kI2sRows, kernels());
      });
      reg("gemv/f32/" + tail, [=](benchmark::State& st) { run_f32_gemv(st, s.out, s.in, t); });
      if (s.out * s.in > 64 << 20) continue;  // prefill on the 16384^2 matrix takes seconds per call
      const std::string gtail =
          dims(s) + "x" + std::to_string(kPrefillTokens) + "/threads:" + std::to_string(t);
      reg("gemm/lowbit/" + gtail, [=](benchmark::State& st) {
        run_ternary(st, s.out, s.in, kPrefillTokens, t, TernaryLayout::kTiled4, kernels());
      });
      if (avx2)
        reg("gemm/lowbit_avx2/" + gtail, [=](benchmark::State& st) {
          run_ternary(st, s.out, s.in, kPrefillTokens, t, TernaryLayout::kTiled4, *avx2);
        });
      reg("gemm/i2_s/" + gtail, [=](benchmark::State& st) {
        run_ternary(st, s.out, s.in, kPrefillTokens, t, TernaryLayout::kI2sRows, kernels());
      });
    }
  // Activation quantization of one token: compare with the GEMV it feeds.
  for (int64_t n : {2560, 6912}) {
    benchmark::RegisterBenchmark(("quant/act_i8/" + std::to_string(n)).c_str(), [=](benchmark::State& st) {
      const auto x = random_acts(n, 3);
      QuantizedActivations q;
      BestOf best;
      for (auto _ : st) {
        best.start();
        quantize_activations(x.data(), 1, n, q);
        benchmark::DoNotOptimize(q.sum.data());
        best.stop();
      }
      st.SetBytesProcessed(int64_t(st.iterations()) * n * 4);
      st.counters["best_us"] = best.us();
    })->Unit(benchmark::kMicrosecond);
  }
  // The H-BitLinear transform on one token (o_proj / down_proj inputs).
  for (int64_t n : {2560, 6912}) {
    benchmark::RegisterBenchmark(("fwht/f32/" + std::to_string(n)).c_str(), [=](benchmark::State& st) {
      auto x = random_acts(n, 5);
      BestOf best;
      for (auto _ : st) {
        best.start();
        fwht_f32(x.data(), n);
        benchmark::DoNotOptimize(x.data());
        best.stop();
      }
      st.SetBytesProcessed(int64_t(st.iterations()) * n * 4);
      st.counters["best_us"] = best.us();
    })->Unit(benchmark::kMicrosecond);
  }
  // Repacking at load, from each source format (inputs built when the
  // benchmark runs, not at registration: the binary starts fast).
  struct Src {
    const char* name;
    Format f;
    PackedTernary (*pack)(const void*, int64_t, int64_t, TernaryLayout);
  };
  for (const auto& s : {GemvShape{2560, 2560}, GemvShape{6912, 2560}}) {
    for (const Src& src : {Src{"tq2_0", Format::TQ2_0, pack_tq2_0}, Src{"tq1_0", Format::TQ1_0, pack_tq1_0},
                           Src{"i2_s", Format::I2_S, pack_i2_s}}) {
      benchmark::RegisterBenchmark(("repack/" + std::string(src.name) + "/" + dims(s)).c_str(),
                                   [=](benchmark::State& st) {
                                     const auto w = random_ternary(s.out * s.in, 4);
                                     std::vector<float> wf(w.size());
                                     for (size_t i = 0; i < w.size(); ++i) wf[i] = float(w[i]) * 0.04f;
                                     const auto& tr = format_traits(src.f);
                                     std::vector<uint8_t> bytes(size_t(format_bytes(tr, s.out * s.in)));
                                     tr.from_float(wf.data(), bytes.data(), s.out * s.in);
                                     for (auto _ : st) {
                                       PackedTernary p = src.pack(bytes.data(), s.out, s.in, TernaryLayout::kTiled4);
                                       benchmark::DoNotOptimize(p.codes.data());
                                     }
                                     st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(bytes.size()));
                                   })
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("repack/int8/" + dims(s)).c_str(), [=](benchmark::State& st) {
      const auto w = random_ternary(s.out * s.in, 4);
      for (auto _ : st) {
        PackedTernary p = pack_ternary(w.data(), s.out, s.in, 0.04f);
        benchmark::DoNotOptimize(p.codes.data());
      }
      st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(w.size()));
    })->Unit(benchmark::kMillisecond);
  }
}

const bool kRegistered = (register_all(), true);

}  // namespace

// One decode step's matrix work on the 2B4T shape, kernels only (no model
// file): per layer the fused q/k/v (3840 x 2560), o (2560 x 2560), fused
// gate/up (13824 x 2560) and down (2560 x 6912) ternary GEMVs, 30 layers of
// distinct packed copies (522 MB, in one mapping as a loaded model holds
// them), then the f16 tied head (128256 x 2560, 657 MB): the 120 ternary
// fork-joins and the head's pass of a real step, with the same bytes.
// Counters: sync_share, the share of the step the calling thread spends at
// the thread pool's barriers (ThreadPool::sync_stats: handing jobs out and
// waiting for the last worker), and fork_joins per step.
//   decode_step/2b4t/threads:..
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "bench_util.hpp"
#include "core/aligned_buffer.hpp"
#include "core/half.hpp"
#include "core/thread_pool.hpp"
#include "kernels/f16_matmul.hpp"
#include "kernels/ternary_matmul.hpp"
#include "packed_copies.hpp"

namespace {

using namespace lowbit;

constexpr int64_t kLayers = 30, kHidden = 2560, kFfn = 6912, kQkv = 2560 + 2 * 640, kVocab = 128256;

PackedTernary random_packed(int64_t out, int64_t in, uint64_t seed) {
  const auto codes = bench::random_ternary(out * in, seed);
  return pack_ternary(codes.data(), out, in, 0.04f);
}

void BM_DecodeStep(benchmark::State& state) {
  const int threads = int(state.range(0));
  ThreadPool::set_global_threads(threads);
  const PackedTernary shapes[4] = {random_packed(kQkv, kHidden, 1), random_packed(kHidden, kHidden, 2),
                                   random_packed(2 * kFfn, kHidden, 3), random_packed(kHidden, kFfn, 4)};
  std::vector<PackedTernary> layers;
  for (int64_t l = 0; l < kLayers; ++l)
    for (const PackedTernary& s : shapes) layers.push_back(bench::copy_of(s));
  bench::gather_codes(layers);  // in decode order, as a loaded model holds them
  AlignedBuffer head(size_t(kVocab * kHidden * 2));
  {
    const std::vector<float> src = bench::random_acts(16 * kHidden, 5);
    std::vector<uint16_t> rows(src.size());
    for (size_t i = 0; i < src.size(); ++i) rows[i] = f32_to_fp16(0.02f * src[i]);
    for (int64_t r = 0; r < kVocab; r += 16)
      std::memcpy(head.as<uint16_t>() + r * kHidden, rows.data(),
                  size_t(std::min<int64_t>(16, kVocab - r) * kHidden * 2));
  }
  const std::vector<float> x = bench::random_acts(kFfn, 2);
  std::vector<float> y(size_t(2 * kFfn)), logits(static_cast<size_t>(kVocab));
  ThreadPool& pool = ThreadPool::global();
  double steps_s = 0, barrier_s = 0;
  int64_t runs = 0, steps = 0;
  for (auto _ : state) {
    pool.reset_sync_stats();
    const auto t0 = std::chrono::steady_clock::now();
    for (const PackedTernary& w : layers) ternary_matmul(w, x.data(), 1, y.data());
    f16_matmul(head.as<uint16_t>(), kVocab, kHidden, x.data(), 1, logits.data());
    benchmark::DoNotOptimize(logits.data());
    steps_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    barrier_s += pool.sync_stats().barrier_s;
    runs += pool.sync_stats().runs;
    ++steps;
  }
  state.counters["sync_share"] = barrier_s / steps_s;
  state.counters["fork_joins"] = double(runs) / double(steps);
  state.SetBytesProcessed(int64_t(state.iterations()) * (int64_t(head.size()) + [&] {
                            int64_t b = 0;
                            for (const PackedTernary& w : layers) b += w.code_bytes();
                            return b;
                          }()));
}

}  // namespace

BENCHMARK(BM_DecodeStep)
    ->Name("decode_step/2b4t")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0);

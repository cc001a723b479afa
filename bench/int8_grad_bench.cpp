// The ternary projections' training products at the bundled config's shapes
// (2048 tokens a step; gate/up: out 768 x in 256, down: out 256 x in 768),
// each on AMX (kernels/int8_grad, kernels/int8_tile_matmul) and on what the
// trainer runs without AMX (the multiply-free input gradient of
// kernels/ternary_grad, the SGEMM on dequantized operands, the ternary GEMM
// kernels), so each kernel is kept only where it wins:
//   train_grad/input/<out>x<in>/<amx|sgemm|lut>/threads:<t>
//   train_grad/weight/<out>x<in>/<amx|sgemm>/threads:<t>
//   train_fwd/<out>x<in>/<amx|ternary>/threads:<t>
// GFLOP/s counts 2 * tokens * out * in per product. AMX rows are skipped
// where amx_usable() is false.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "kernels/amx.hpp"
#include "kernels/int8_grad.hpp"
#include "kernels/int8_tile_matmul.hpp"
#include "kernels/ternary_grad.hpp"
#include "kernels/ternary_matmul.hpp"
#include "nn/float_linear.hpp"

namespace {

using namespace lowbit;

constexpr int64_t kTokens = 2048;

struct Operands {
  std::vector<int8_t> w, q;  // ternary weights [out, in], codes [tokens, in]
  std::vector<float> w_deq, x_deq, dy, step;
  explicit Operands(int64_t out, int64_t in) {
    Rng rng(3);
    w.resize(size_t(out * in)), q.resize(size_t(kTokens * in)), dy.resize(size_t(kTokens * out));
    for (int8_t& v : w) v = int8_t(int(rng.next_u64() % 3) - 1);
    for (int8_t& v : q) v = int8_t(int(rng.next_u64() % 255) - 127);
    for (float& v : dy) v = float(rng.normal()) * 1e-4f;
    step.assign(size_t(kTokens), 0.01f);
    for (int8_t v : w) w_deq.push_back(float(v) * 0.02f);
    for (size_t k = 0; k < q.size(); ++k) x_deq.push_back(float(q[k]) * 0.01f);
  }
};

void set_flops(benchmark::State& state, int64_t out, int64_t in) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * double(kTokens * out * in), benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

enum class InputKind { kAmx, kSgemm, kLut };

void BM_InputGrad(benchmark::State& state, int64_t out, int64_t in, InputKind kind, int threads) {
  if (kind == InputKind::kAmx && !amx_usable()) return state.SkipWithError("no usable AMX");
  ThreadPool::set_global_threads(threads);
  const Operands o(out, in);
  std::vector<float> dx(size_t(kTokens * in));
  Int8GradWeights packed;
  if (kind == InputKind::kAmx) pack_int8_grad_weights(o.w.data(), out, in, packed);
  TernaryGradWeights codes;
  if (kind == InputKind::kLut) pack_ternary_grad_weights(o.w.data(), out, in, codes);
  for (auto _ : state) {
    if (kind == InputKind::kAmx) int8_input_grad(o.dy.data(), kTokens, packed, 0.02f, dx.data());
    else if (kind == InputKind::kLut) ternary_input_grad(o.dy.data(), kTokens, codes, 0.02f, dx.data());
    else matmul_dy_w(o.dy.data(), o.w_deq.data(), kTokens, in, out, dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
  set_flops(state, out, in);
}

// Includes packing the codes (once per step and input in training).
void BM_WeightGrad(benchmark::State& state, int64_t out, int64_t in, bool amx, int threads) {
  if (amx && !amx_usable()) return state.SkipWithError("no usable AMX");
  ThreadPool::set_global_threads(threads);
  const Operands o(out, in);
  std::vector<float> dw(size_t(out * in));
  Int8GradCodes packed;
  for (auto _ : state) {
    if (amx) {
      pack_int8_grad_codes(o.q.data(), kTokens, in, packed);
      int8_weight_grad(o.dy.data(), out, o.step.data(), packed, dw.data());
    } else {
      accumulate_dyt_x(o.dy.data(), o.x_deq.data(), kTokens, in, out, dw.data());
    }
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, out, in);
}

enum class ForwardKind { kAmx, kTernary, kLut };

// kLut includes packing the weights (once per step and layer in training).
void BM_Forward(benchmark::State& state, int64_t out, int64_t in, ForwardKind kind, int threads) {
  const bool amx = kind == ForwardKind::kAmx;
  if (amx && !amx_usable()) return state.SkipWithError("no usable AMX");
  ThreadPool::set_global_threads(threads);
  const Operands o(out, in);
  QuantizedActivations rows;
  rows.tokens = kTokens, rows.in = in, rows.in_pad = (in + 127) / 128 * 128;
  rows.q = AlignedBuffer(size_t(kTokens * rows.in_pad));
  rows.sum.assign(size_t(kTokens), 0);
  for (int64_t t = 0; t < kTokens; ++t)
    for (int64_t k = 0; k < in; ++k) {
      rows.q.as<int8_t>()[t * rows.in_pad + k] = o.q[size_t(t * in + k)];
      rows.sum[size_t(t)] += o.q[size_t(t * in + k)];
    }
  Int8TileWeights tiles;
  PackedTernary packed;
  if (amx) pack_int8_tile_weights(o.w.data(), out, in, tiles);
  else packed = pack_ternary(o.w.data(), out, in, 0.02f);
  const std::unique_ptr<int32_t[]> acc(new int32_t[size_t(kTokens * out)]);
  TernaryGradWeights lut;
  for (auto _ : state) {
    if (kind == ForwardKind::kLut) {
      pack_ternary_forward_weights(o.w.data(), out, in, lut);
      ternary_forward_i8(o.q.data(), kTokens, lut, acc.get());
    } else if (amx) {
      int8_tile_matmul_i32(tiles, rows.q.as<int8_t>(), rows.in_pad, kTokens, acc.get());
    } else {
      ternary_matmul_i32(packed, rows, acc.get());
    }
    benchmark::DoNotOptimize(acc.get());
  }
  set_flops(state, out, in);
}

const bool registered = [] {
  const std::pair<int64_t, int64_t> shapes[] = {{768, 256}, {256, 768}};
  for (auto [out, in] : shapes)
    for (bool amx : {true, false})
      for (int threads : {1, 2}) {
        const std::string shape = std::to_string(out) + "x" + std::to_string(in);
        const std::string tail = "/threads:" + std::to_string(threads);
        const char* grad_kind = amx ? "/amx" : "/sgemm";
        benchmark::RegisterBenchmark(("train_grad/input/" + shape + grad_kind + tail).c_str(), BM_InputGrad, out, in,
                                     amx ? InputKind::kAmx : InputKind::kSgemm, threads)
            ->UseRealTime();
        if (!amx)
          benchmark::RegisterBenchmark(("train_grad/input/" + shape + "/lut" + tail).c_str(), BM_InputGrad, out, in,
                                       InputKind::kLut, threads)
              ->UseRealTime();
        benchmark::RegisterBenchmark(("train_grad/weight/" + shape + grad_kind + tail).c_str(), BM_WeightGrad, out, in,
                                     amx, threads)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("train_fwd/" + shape + (amx ? "/amx" : "/ternary") + tail).c_str(), BM_Forward,
                                     out, in, amx ? ForwardKind::kAmx : ForwardKind::kTernary, threads)
            ->UseRealTime();
        if (!amx)
          benchmark::RegisterBenchmark(("train_fwd/" + shape + "/lut" + tail).c_str(), BM_Forward, out, in,
                                       ForwardKind::kLut, threads)
              ->UseRealTime();
      }
  return true;
}();

}  // namespace

// Training throughput: whole optimizer steps (forward, backward, AdamW,
// requantize) of a training config's model, tokens per second.
//   train/step/<config stem>/threads:<t>
// The config is $LOWBIT_BENCH_TRAIN_CONFIG (default
// configs/shakespeare-b158.json, relative to the working directory; the row
// is skipped when it is missing), with n_vocab = its tokenizer.vocab_size;
// its model.arch picks the family (configs/experiments/hgrn-bit.json: HGRN-Bit).
// The token ids come from bench_token_id below, the formula
// scripts/bench-train-torch uses too, so both trainers see the same ids.
// scripts/bench-train runs these rows interleaved with the PyTorch yardstick.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.hpp"
#include "train/adamw.hpp"
#include "train/train_config.hpp"
#include "train/trainable_model.hpp"

namespace {

using namespace lowbit;

std::string config_path() {
  const char* p = std::getenv("LOWBIT_BENCH_TRAIN_CONFIG");
  return p && *p ? p : "configs/shakespeare-b158.json";
}

// Token i of step s's batch (B sequences of T + 1 tokens laid end to end):
// a multiplicative hash, cheap to write the same way in NumPy.
int32_t bench_token_id(int64_t step, int64_t i, int64_t vocab) {
  const uint64_t h = (uint64_t(step) * 1000003u + uint64_t(i)) * 2654435761u;
  return int32_t((h & 0xffffffffu) % uint64_t(vocab));
}

void bench_batch(int64_t step, int64_t B, int64_t T, int64_t V, std::vector<int32_t>& in, std::vector<int32_t>& tgt) {
  in.resize(size_t(B * T));
  tgt.resize(size_t(B * T));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      in[size_t(b * T + t)] = bench_token_id(step, b * (T + 1) + t, V);
      tgt[size_t(b * T + t)] = bench_token_id(step, b * (T + 1) + t + 1, V);
    }
}

void BM_TrainStep(benchmark::State& state, int threads) {
  const std::string path = config_path();
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("no training config at " + path).c_str());
    return;
  }
  ThreadPool::set_global_threads(threads);
  TrainConfig c = load_train_config(path);
  c.arch.n_vocab = c.vocab_size;
  Rng rng(c.seed);
  const std::unique_ptr<TrainableModel> m = make_trainable_model(c, rng);  // the config's model.arch
  TrainableModel& model = *m;
  std::vector<Param> params = model.params();
  AdamWState adam;
  std::vector<int32_t> in, tgt;
  int64_t step = 0;
  float loss = 0;
  auto one_step = [&] {
    bench_batch(step++, c.batch_size, c.seq_len, c.arch.n_vocab, in, tgt);
    model.zero_grads();
    loss = model.forward(in.data(), tgt.data(), c.batch_size, c.seq_len);
    model.backward();
    adamw_step(params, adam, c.lr, c.weight_decay, c.beta1, c.beta2, c.adam_eps, c.grad_clip);
    model.requantize();
  };
  one_step();  // warm-up: buffers sized, pages touched
  for (auto _ : state) one_step();
  state.SetItemsProcessed(int64_t(state.iterations()) * c.batch_size * c.seq_len);
  state.counters["loss"] = loss;
  state.counters["steps"] = double(step);
}

const bool registered = [] {
  // A fixed number of timed steps ($LOWBIT_BENCH_TRAIN_STEPS, default 10),
  // the same count the PyTorch yardstick times.
  const char* env_steps = std::getenv("LOWBIT_BENCH_TRAIN_STEPS");
  const int64_t steps = env_steps && *env_steps ? std::max<int64_t>(1, std::atoll(env_steps)) : 10;
  const std::string stem = std::filesystem::path(config_path()).stem().string();
  for (int threads : {1, 2}) {
    const std::string name = "train/step/" + stem + "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(name.c_str(), BM_TrainStep, threads)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(steps);
  }
  return true;
}();

}  // namespace

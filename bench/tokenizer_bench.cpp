// Tokenizer speed on tinyshakespeare (1.1 MB) with the LLaMA-3 vocabulary:
// encoding (bytes/s), loading the tiktoken file, and training a small BPE.
// The data files come from the repository's data/ (io/data_dir.hpp).
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "bench_util.hpp"
#include "io/data_dir.hpp"
#include "tokenizer/bpe_trainer.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string* shakespeare() {
  static const std::unique_ptr<std::string> text = [] {
    const std::string p = lowbit::find_data_file("tinyshakespeare.txt");
    return p.empty() ? nullptr : std::make_unique<std::string>(slurp(p));
  }();
  return text.get();
}

const lowbit::Tokenizer* llama3() { return lowbit::bench::llama3_tokenizer(); }

void BM_EncodeLlama3(benchmark::State& state) {
  if (!shakespeare() || !llama3()) return state.SkipWithError("data/ files not found (set LOWBIT_DATA_DIR)");
  size_t n = 0;
  for (auto _ : state) {
    auto ids = llama3()->encode(*shakespeare());
    n = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(shakespeare()->size()));
  state.counters["tokens"] = double(n);
}
BENCHMARK(BM_EncodeLlama3)->Name("tokenizer/encode/llama3")->Unit(benchmark::kMillisecond);

void BM_DecodeLlama3(benchmark::State& state) {
  if (!shakespeare() || !llama3()) return state.SkipWithError("data/ files not found (set LOWBIT_DATA_DIR)");
  const auto ids = llama3()->encode(*shakespeare());
  for (auto _ : state) benchmark::DoNotOptimize(llama3()->decode(ids));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(shakespeare()->size()));
}
BENCHMARK(BM_DecodeLlama3)->Name("tokenizer/decode/llama3")->Unit(benchmark::kMillisecond);

void BM_LoadLlama3(benchmark::State& state) {
  const std::string p = lowbit::find_data_file("llama3-tiktoken.model");
  if (p.empty()) return state.SkipWithError("llama3-tiktoken.model not found (set LOWBIT_DATA_DIR)");
  for (auto _ : state) benchmark::DoNotOptimize(lowbit::Tokenizer::load_llama3_tiktoken(p).n_vocab());
}
BENCHMARK(BM_LoadLlama3)->Name("tokenizer/load/llama3")->Unit(benchmark::kMillisecond);

void BM_TrainShakespeare(benchmark::State& state) {
  if (!shakespeare()) return state.SkipWithError("tinyshakespeare.txt not found (set LOWBIT_DATA_DIR)");
  lowbit::BpeTrainOptions o;
  o.vocab_size = int32_t(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(lowbit::train_bpe(*shakespeare(), o).merges.size());
}
BENCHMARK(BM_TrainShakespeare)->Name("tokenizer/train/shakespeare")->Arg(512)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace

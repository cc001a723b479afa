// `lowbit bench`: prefill and decode tokens/s for each thread count, next to
// the bandwidth bound (weight bytes read per token / measured read
// bandwidth, the same STREAM-like read as bench/bandwidth_bench.cpp).
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/model_options.hpp"
#include "core/rng.hpp"
#include "core/thread_pool.hpp"
#include "core/timer.hpp"
#include "kernels/read_bandwidth.hpp"

namespace lowbit::cli {
namespace {

struct BenchArgs {
  ModelOptions model;
  int n_prompt = 512;
  int n_gen = 128;
  std::vector<int> threads{1, 2};
  int reps = 3;
};

// Resets the peak-RSS counter (so the bandwidth test's 256 MiB buffer is
// not counted as the model's memory).
void reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

// Peak resident memory of this process (VmHWM), in bytes.
size_t peak_rss() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return size_t(std::stoull(line.substr(6))) * 1024;
  return 0;
}

void run(const BenchArgs& a) {
  LoadedModel m = open_model(a.model);
  const int64_t n_ctx = a.n_prompt + a.n_gen;
  Rng rng(1);
  std::vector<int32_t> prompt(size_t(a.n_prompt));
  for (auto& t : prompt) t = int32_t(rng.next_u64() % uint64_t(m.config.n_vocab));
  const double bytes_tok = double(m.model->bytes_per_token());
  fmt::print("model: {} ({:.1f} MiB read per token)\n", a.model.model.empty() ? default_model_path() : a.model.model,
             bytes_tok / 1048576.0);
  fmt::print("{:>7} {:>14} {:>14} {:>12} {:>13} {:>10}\n", "threads", "prefill tok/s", "decode tok/s", "read GB/s",
             "bound tok/s", "of bound");
  size_t peak = peak_rss();  // after loading
  std::vector<std::string> per_run;
  for (int t : a.threads) {
    ThreadPool::set_global_threads(t);
    // The bandwidth is measured again right before each run and each run is
    // scored against its own: on a shared (virtual) machine the bandwidth
    // available moves between runs (by 2x here, as the two vCPUs land on the
    // same or on different core complexes), so a ratio of figures taken at
    // different moments would mean little. The median run is shown.
    std::vector<double> prefill, decode, bws, ratio;
    for (int r = 0; r < a.reps; ++r) {
      const double bw = measure_read_bandwidth();
      reset_peak_rss();
      const std::unique_ptr<SequenceState> state = m.model->new_state(n_ctx);
      std::vector<float> logits(size_t(m.config.n_vocab));
      Timer timer;
      m.model->forward(prompt.data(), a.n_prompt, 0, *state, logits.data());
      prefill.push_back(double(a.n_prompt) / timer.seconds());
      timer.reset();
      for (int i = 0; i < a.n_gen; ++i) {
        const int32_t tok = prompt[size_t(i) % prompt.size()];
        m.model->forward(&tok, 1, a.n_prompt + i, *state, logits.data());
      }
      decode.push_back(double(a.n_gen) / timer.seconds());
      bws.push_back(bw);
      ratio.push_back(decode.back() / (bw / bytes_tok));
      peak = std::max(peak, peak_rss());
    }
    // The run with the median ratio, so the row's figures belong together.
    std::vector<size_t> order(ratio.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return ratio[x] < ratio[y]; });
    const size_t med = order[order.size() / 2];
    fmt::print("{:>7} {:>14.1f} {:>14.1f} {:>12.2f} {:>13.1f} {:>9.1f}%\n", t, prefill[med], decode[med],
               bws[med] / 1e9, bws[med] / bytes_tok, 100.0 * ratio[med]);
    std::string runs;
    for (size_t i = 0; i < ratio.size(); ++i)
      runs += fmt::format("{}{:.1f}% ({:.1f} tok/s at {:.1f} GB/s)", i ? ", " : "", 100.0 * ratio[i], decode[i],
                          bws[i] / 1e9);
    per_run.push_back(fmt::format("{} thread(s): {}", t, runs));
  }
  fmt::print("each run (decode of bound): {}\n", fmt::join(per_run, "; "));
  fmt::print("peak memory: {:.1f} MiB, loading and running, without the bandwidth test's buffer (weights read per "
             "token {:.1f} MiB, sequence state {:.1f} MiB)\n",
             double(peak) / 1048576.0, bytes_tok / 1048576.0, double(m.model->new_state(n_ctx)->bytes()) / 1048576.0);
}

const CommandRegistrar reg(60, "bench", "prefill and decode tokens/s vs the memory-bandwidth bound", [](CLI::App& sub) {
  auto a = std::make_shared<BenchArgs>();
  sub.add_option("-m,--model", a->model.model, "model file (GGUF); default: the bundled model");
  sub.add_option("-p,--n-prompt", a->n_prompt, "prompt tokens for the prefill test")->check(in_range(1, 1 << 20));
  sub.add_option("-n,--n-gen", a->n_gen, "tokens for the decode test")->check(in_range(1, 1 << 20));
  sub.add_option("-t,--threads", a->threads, "thread counts, comma separated")
      ->delimiter(',')
      ->check(in_range(1, 1024));
  sub.add_option("-r,--repetitions", a->reps, "runs per thread count (the median is shown)")->check(in_range(1, 100));
  sub.add_flag("--int8", a->model.int8, "run float projections through LLM.int8");
  sub.add_option("--int8-threshold", a->model.int8_threshold, "LLM.int8 outlier threshold (0 = no decomposition)");
  sub.add_option("--head-type", a->model.head_type, "run the output head as f16|q8_0|q6_k|q4_0 (quantized at load)");
  sub.add_option("--exact-greedy", a->model.exact_greedy, "re-score the K best rows of a low-bit head in f16")
      ->check(CLI::Range(1, 1 << 20));
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

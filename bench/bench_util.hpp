// Helpers shared by the benchmarks: the fastest-call timer, the random
// ternary weights and activations they run on, and the LLaMA-3 vocabulary.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "io/data_dir.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::bench {

// The LLaMA-3 tokenizer (128k tokens) from data/, or null when not found.
inline const Tokenizer* llama3_tokenizer() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    const std::string p = find_data_file("llama3-tiktoken.model");
    return p.empty() ? nullptr : std::make_unique<Tokenizer>(Tokenizer::load_llama3_tiktoken(p));
  }();
  return tok.get();
}

// best_us: the fastest single call, the statistic ggml-anchor prints; on a
// shared machine it is the fair one to compare with it (time slices lost to
// other processes inflate means, rarely the minimum).
class BestOf {
 public:
  void start() { t0_ = std::chrono::steady_clock::now(); }
  void stop() { stop_seconds(); }
  // stop() that also returns this call's time, in seconds.
  double stop_seconds() {
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0_).count();
    best_ = std::min(best_, us);
    return us * 1e-6;
  }
  double us() const { return best_; }

 private:
  std::chrono::steady_clock::time_point t0_;
  double best_ = 1e30;
};

inline std::vector<int8_t> random_ternary(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<int8_t> w(static_cast<size_t>(n));
  for (auto& v : w) v = int8_t(int(rng.next_u64() % 3) - 1);
  return w;
}

inline std::vector<float> random_acts(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = rng.normal();
  return x;
}

}  // namespace lowbit::bench

// Helpers shared by the benchmarks: the fastest-call timer and the random
// ternary weights and activations they run on.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"

namespace lowbit::bench {

// best_us: the fastest single call, the statistic ggml-anchor prints; on a
// shared machine it is the fair one to compare with it (time slices lost to
// other processes inflate means, rarely the minimum).
class BestOf {
 public:
  void start() { t0_ = std::chrono::steady_clock::now(); }
  void stop() {
    best_ = std::min(best_, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0_).count());
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

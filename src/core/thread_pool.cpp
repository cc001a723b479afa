#include "core/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

#include "core/error.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#define LOWBIT_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define LOWBIT_PAUSE() asm volatile("yield")
#else
#define LOWBIT_PAUSE() ((void)0)
#endif

namespace lowbit {

namespace {
constexpr int kSpinIterations = 20000;  // ~50-100 us of pause before sleeping

// Pause, and now and then give the core away: with more threads than cores
// (oversubscription) pure spinning would starve the thread being waited on.
inline void spin_pause(int i) {
  if ((i & 63) == 63) std::this_thread::yield();
  else LOWBIT_PAUSE();
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)), shares_(size_t(n_threads_)) {
  for (int t = 1; t < n_threads_; ++t) threads_.emplace_back([this, t] { worker(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& th : threads_) th.join();
}

void ThreadPool::worker(int tid) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int i = 0; g == seen && i < kSpinIterations; ++i) {
      spin_pause(i);
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = g;
    if (stop_.load()) return;
    (*job_)(tid, n_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  const Clock::time_point t1 = Clock::now();
  fn(0, n_threads_);
  const Clock::time_point t2 = Clock::now();
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) spin_pause(i);
  const Clock::time_point t3 = Clock::now();
  stats_.runs += 1;
  stats_.run_s += std::chrono::duration<double>(t3 - t0).count();
  stats_.barrier_s += std::chrono::duration<double>((t1 - t0) + (t3 - t2)).count();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t units = (n + grain - 1) / grain;
  const int nt = int(std::min<int64_t>(n_threads_, units));
  if (nt <= 1) {
    fn(0, n);
    return;
  }
  run([&](int tid, int) {
    if (tid >= nt) return;
    const int64_t b = units * tid / nt * grain;
    const int64_t e = std::min(n, units * (tid + 1) / nt * grain);
    if (b < e) fn(b, e);
  });
}

void ThreadPool::parallel_for_dynamic(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(1, chunk);
  if (n_threads_ == 1 || n <= chunk) {
    for (int64_t b = 0; b < n; b += chunk) fn(b, std::min(n, b + chunk));
    return;
  }
  std::atomic<int64_t> next{0};
  run([&](int, int) {
    for (;;) {
      const int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) return;
      fn(b, std::min(n, b + chunk));
    }
  });
}

namespace {

constexpr uint64_t pack_range(uint64_t lo, uint64_t hi) { return hi << 32 | lo; }

// Claims the first (front) or last piece of a share; -1 when it is empty.
int64_t claim(std::atomic<uint64_t>& range, bool front) {
  uint64_t r = range.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t lo = r & 0xffffffffu, hi = r >> 32;
    if (lo >= hi) return -1;
    const uint64_t next = front ? pack_range(lo + 1, hi) : pack_range(lo, hi - 1);
    if (range.compare_exchange_weak(r, next, std::memory_order_relaxed)) return int64_t(front ? lo : hi - 1);
  }
}

}  // namespace

void ThreadPool::parallel_for_stealing(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(1, chunk);
  const int64_t pieces = (n + chunk - 1) / chunk;
  LOWBIT_CHECK(pieces < (int64_t(1) << 32), "parallel_for_stealing: {} pieces", pieces);
  const int nt = int(std::min<int64_t>(n_threads_, pieces));
  auto piece = [&](int64_t p) { fn(p * chunk, std::min(n, (p + 1) * chunk)); };
  if (nt <= 1) {
    for (int64_t p = 0; p < pieces; ++p) piece(p);
    return;
  }
  for (int t = 0; t < nt; ++t)
    shares_[size_t(t)].range.store(pack_range(uint64_t(pieces * t / nt), uint64_t(pieces * (t + 1) / nt)),
                                   std::memory_order_relaxed);
  // run() publishes the shares to the workers (release on generation_).
  run([&](int tid, int) {
    if (tid >= nt) return;
    for (int64_t p; (p = claim(shares_[size_t(tid)].range, true)) >= 0;) piece(p);
    for (;;) {  // steal from the back of the largest share left
      int victim = -1;
      uint64_t most = 0;
      for (int t = 0; t < nt; ++t) {
        const uint64_t r = shares_[size_t(t)].range.load(std::memory_order_relaxed);
        const uint64_t lo = r & 0xffffffffu, hi = r >> 32;
        if (hi > lo && hi - lo > most) most = hi - lo, victim = t;
      }
      if (victim < 0) return;
      const int64_t p = claim(shares_[size_t(victim)].range, false);
      if (p >= 0) piece(p);
    }
  });
}

namespace {
std::mutex g_mu;
std::unique_ptr<ThreadPool> g_pool;
}  // namespace

ThreadPool& ThreadPool::global() {
  std::lock_guard lock(g_mu);
  if (!g_pool) g_pool = std::make_unique<ThreadPool>(int(std::max(1u, std::thread::hardware_concurrency())));
  return *g_pool;
}

void ThreadPool::set_global_threads(int n) {
  std::lock_guard lock(g_mu);
  if (!g_pool || g_pool->size() != std::max(1, n)) g_pool = std::make_unique<ThreadPool>(n);
}

}  // namespace lowbit

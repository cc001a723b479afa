// A small fork-join thread pool for the kernels: `run(fn)` calls fn(tid, n)
// on n threads (the caller is thread 0) and returns when all are done.
// Workers spin briefly before sleeping on an atomic wait, because decode
// calls it thousands of times per second with jobs of tens of microseconds,
// where a condition-variable wake-up alone would cost a visible share.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace lowbit {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // fn(tid, n_threads) on every thread; blocks until all return. Not
  // reentrant: a job must not call run() on the same pool.
  void run(const std::function<void(int, int)>& fn);

  // Splits [0, n) into contiguous chunks (multiples of `grain`, the last
  // one shorter) and calls fn(begin, end) for each thread's chunk.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // Hands out [0, n) in chunks of `chunk` to whichever thread is free next
  // and calls fn(begin, end) for each: for long passes over memory, where a
  // thread slowed by others on a shared machine would hold up a static split.
  void parallel_for_dynamic(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn);

  // Each thread walks its own contiguous share of [0, n) front to back in
  // pieces of `chunk` (fn(begin, end) per piece; begins are multiples of
  // chunk); a thread that is done takes pieces from the back of the share
  // with the most left. For short memory-bound passes (decode GEMVs of tens
  // of microseconds): both threads finish within about one piece of each
  // other, while each still reads one sequential stream (what the hardware
  // prefetcher and the kernels' software prefetch expect; the shared
  // counter of parallel_for_dynamic interleaves the threads' pieces).
  void parallel_for_stealing(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn);

  // What fork-joins cost the calling thread, summed over run() calls (and
  // the parallel_for* built on it) since the pool was made or reset: the
  // time in run() outside the caller's own share of the job, i.e. handing
  // the job out and then waiting at the barrier for the last worker (its
  // wake-up, any imbalance, and time the OS gave its core to others). Two
  // clock reads per call (~50 ns): a decode step makes ~150 calls.
  struct SyncStats {
    int64_t runs = 0;      // fork-joins with more than one thread
    double run_s = 0;      // wall time inside those run() calls
    double barrier_s = 0;  // of which outside the caller's own share
  };
  const SyncStats& sync_stats() const { return stats_; }
  void reset_sync_stats() { stats_ = {}; }

  // The process-wide pool used by layers and kernels; its size is set by
  // -t/--threads (default: hardware concurrency).
  static ThreadPool& global();
  static void set_global_threads(int n);

 private:
  void worker(int tid);

  int n_threads_;
  std::vector<std::thread> threads_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  // parallel_for_stealing's per-thread share [lo, hi) of pieces, packed in
  // one word (hi << 32 | lo) so owner and thief claim with one CAS; one
  // cache line each.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  std::vector<Share> shares_;
  SyncStats stats_;  // written by the calling thread only (run is not reentrant)
};

}  // namespace lowbit

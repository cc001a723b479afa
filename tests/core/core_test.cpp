// Tensor shapes, the thread pool's coverage of ranges, RNG statistics.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/rng.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

using namespace lowbit;

TEST(Tensor, ShapeAndStrides) {
  Tensor t = Tensor::f32({3, 4, 5});
  EXPECT_EQ(t.numel(), 60);
  EXPECT_EQ(t.nbytes(), 240u);
  EXPECT_EQ(t.view().stride[0], 20);
  EXPECT_EQ(t.view().stride[1], 5);
  EXPECT_EQ(t.view().stride[2], 1);
  EXPECT_TRUE(t.view().contiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data<float>()) % kAlignment, 0u);
  EXPECT_EQ(t.shape().str(), "[3, 4, 5]");
  for (float v : t.span<float>()) EXPECT_EQ(v, 0.0f);  // zero-initialized
}

TEST(Tensor, RejectsBadShapes) {
  EXPECT_THROW((Shape{1, 2, 3, 4, 5}), Error);
  EXPECT_THROW((Shape{2, -1}), Error);
}

TEST(ThreadPool, ParallelForCoversEachIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 64, 1000, 1001}) {
      for (int64_t grain : {1, 4, 16}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
          EXPECT_EQ(b % grain, 0);
          for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << threads << " " << n << " " << i;
      }
    }
  }
}

TEST(ThreadPool, ParallelForDynamicCoversEachIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 512, 1000, 1001}) {
      for (int64_t chunk : {1, 5, 512}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for_dynamic(n, chunk, [&](int64_t b, int64_t e) {
          EXPECT_EQ(b % chunk, 0);
          EXPECT_LE(e - b, chunk);
          for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << threads << " " << n << " " << i;
      }
    }
  }
}

TEST(ThreadPool, ParallelForStealingCoversEachIndexOnce) {
  for (int threads : {1, 2, 3, 5, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 64, 1000, 1001}) {
      for (int64_t chunk : {1, 4, 24, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for_stealing(n, chunk, [&](int64_t b, int64_t e) {
          EXPECT_EQ(b % chunk, 0);
          EXPECT_LE(e - b, chunk);
          EXPECT_LE(e, n);
          for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
        });
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[size_t(i)].load(), 1) << threads << " " << n << " " << chunk << " " << i;
      }
    }
  }
}

// A thread slowed down (here the caller, 1 ms per piece) has its share's
// back taken by the others: it ends up doing fewer pieces than its static
// half, and still every piece runs exactly once.
TEST(ThreadPool, ParallelForStealingTakesPiecesFromASlowThread) {
  ThreadPool pool(2);
  const std::thread::id caller = std::this_thread::get_id();
  constexpr int64_t kPieces = 64;
  std::vector<std::atomic<int>> hits(kPieces);
  std::atomic<int> by_caller{0};
  pool.parallel_for_stealing(kPieces, 1, [&](int64_t b, int64_t e) {
    EXPECT_EQ(e, b + 1);
    hits[size_t(b)]++;
    if (std::this_thread::get_id() == caller) {
      by_caller++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int64_t i = 0; i < kPieces; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << i;
  EXPECT_LT(by_caller.load(), kPieces / 2);
}

TEST(ThreadPool, RunCallsEveryThread) {
  ThreadPool pool(4);
  for (int rep = 0; rep < 1000; ++rep) {
    std::atomic<int> mask{0};
    pool.run([&](int tid, int n) {
      EXPECT_EQ(n, 4);
      mask.fetch_or(1 << tid);
    });
    ASSERT_EQ(mask.load(), 0xf);
  }
}

// The barrier time counts what the caller waits for a slower worker: a
// worker sleeping 20 ms while the caller returns at once must show about
// those 20 ms, all of the run's time but the caller's own (empty) share; a
// job where only the caller sleeps shows less than its time at the barrier.
TEST(ThreadPool, SyncStatsCountTheCallersWaitAtTheBarrier) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.sync_stats().runs, 0);
  pool.run([](int tid, int) {
    if (tid == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  EXPECT_EQ(pool.sync_stats().runs, 1);
  // (15 ms: the caller's own empty share, were it preempted, is not barrier time)
  EXPECT_GE(pool.sync_stats().barrier_s, 0.015);
  EXPECT_LE(pool.sync_stats().barrier_s, pool.sync_stats().run_s);
  pool.reset_sync_stats();
  pool.run([](int tid, int) {
    if (tid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  EXPECT_EQ(pool.sync_stats().runs, 1);
  EXPECT_GE(pool.sync_stats().run_s, 0.020);
  EXPECT_LE(pool.sync_stats().barrier_s, pool.sync_stats().run_s - 0.020);
  // One thread: no fork-join, nothing counted.
  ThreadPool single(1);
  single.run([](int, int) {});
  EXPECT_EQ(single.sync_stats().runs, 0);
}

TEST(Rng, DeterministicAndNormal) {
  Rng a(42), b(42), c(43);
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Rng r(1);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    s += x;
    s2 += x * x;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);  // 4.5 sigma of the sample mean
  EXPECT_NEAR(var, 1.0, 0.015);
}

TEST(CpuFeatures, ConsistentWithCompiler) {
  const CpuFeatures& f = cpu_features();
#if defined(__AVX2__)
  EXPECT_TRUE(f.avx2);  // a binary built for AVX2 only runs where it exists
#endif
#if defined(__aarch64__)
  EXPECT_TRUE(f.neon);
#endif
  if (f.has_avx512()) {
    EXPECT_TRUE(f.avx2);
  }
  EXPECT_FALSE(f.summary().empty());
}

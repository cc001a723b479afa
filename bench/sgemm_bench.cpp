// SGEMM (training and float layers): GFLOP/s on the shapes a small lowbit
// model trains with. Names: sgemm/<nn|nt|tn>/<M>x<N>x<K>/threads:<t>.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "core/thread_pool.hpp"
#include "kernels/sgemm.hpp"

namespace {

void BM_Sgemm(benchmark::State& state, bool ta, bool tb, int64_t M, int64_t N, int64_t K, int threads) {
  lowbit::ThreadPool::set_global_threads(threads);
  std::vector<float> A(size_t(M * K), 0.5f), B(size_t(K * N), 0.25f), C(size_t(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  for (auto _ : state) {
    lowbit::sgemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, 0.0f, C.data(), N);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(M * N * K), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
  state.SetLabel(lowbit::isa_name(lowbit::sgemm_isa()));
}

const bool registered = [] {
  struct Shape {
    int64_t M, N, K;
  };
  // Activations x W^T of a d=256 model over 4096 tokens, its FFN, a square.
  const Shape shapes[] = {{4096, 256, 256}, {4096, 1024, 256}, {512, 512, 512}};
  const std::pair<const char*, std::pair<bool, bool>> ops[] = {{"nt", {false, true}}, {"nn", {false, false}},
                                                               {"tn", {true, false}}};
  for (auto& [op, t] : ops)
    for (const Shape& s : shapes)
      for (int threads : {1, 2}) {
        const std::string name = std::string("sgemm/") + op + "/" + std::to_string(s.M) + "x" + std::to_string(s.N) +
                                 "x" + std::to_string(s.K) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), BM_Sgemm, t.first, t.second, s.M, s.N, s.K, threads)
            ->UseRealTime();
      }
  return true;
}();

}  // namespace

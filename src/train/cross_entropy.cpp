#include "train/cross_entropy.hpp"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.hpp"

namespace lowbit {

double cross_entropy_forward(const float* logits, const int32_t* targets, int64_t N, int64_t V,
                             CrossEntropyRows& keep) {
  keep.row_max.resize(size_t(N));
  keep.row_sum.resize(size_t(N));
  std::vector<double> row_loss(static_cast<size_t>(N));
  ThreadPool::global().parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* z = logits + r * V;
      const float mx = *std::max_element(z, z + V);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j] - mx));
      keep.row_max[size_t(r)] = mx;
      keep.row_sum[size_t(r)] = sum;
      row_loss[size_t(r)] = std::log(sum) + mx - z[targets[r]];
    }
  });
  double loss = 0;  // summed in row order: the same at any thread count
  for (double v : row_loss) loss += v;
  return loss / double(N);
}

void cross_entropy_backward(float* logits, const int32_t* targets, int64_t N, int64_t V, const CrossEntropyRows& keep) {
  ThreadPool::global().parallel_for(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* z = logits + r * V;
      const double mx = keep.row_max[size_t(r)], sum = keep.row_sum[size_t(r)];
      for (int64_t j = 0; j < V; ++j) z[j] = float(std::exp(double(z[j] - float(mx))) / sum) / float(N);
      z[targets[r]] -= 1.0f / float(N);
    }
  });
}

}  // namespace lowbit

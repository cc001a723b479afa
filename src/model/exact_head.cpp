#include "model/exact_head.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#include "core/error.hpp"
#include "kernels/f16_matmul.hpp"

namespace lowbit {

ExactGreedyHead::ExactGreedyHead(const TensorRef& rows, int k)
    : w_(static_cast<const uint16_t*>(rows.data)), rows_(rows.rows), cols_(rows.cols), k_(k) {
  LOWBIT_CHECK(rows.format && rows.format->format == Format::F16,
               "--exact-greedy needs the f16 rows of the head: tensor '{}' is {}", rows.name,
               rows.format ? rows.format->name : "(unknown)");
  LOWBIT_CHECK(k >= 1 && k <= rows.rows, "--exact-greedy {}: expected 1 to {} candidates", k, rows.rows);
}

std::vector<int32_t> ExactGreedyHead::top_k(const float* v, int64_t n, int k) {
  // A min-heap of the k best so far: one pass, k log k per replacement.
  auto worse = [&](int32_t a, int32_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); };
  std::priority_queue<int32_t, std::vector<int32_t>, decltype(worse)> heap(worse);
  for (int64_t i = 0; i < n; ++i) {
    if (int64_t(heap.size()) < k) {
      heap.push(int32_t(i));
    } else if (v[i] > v[heap.top()]) {
      heap.pop();
      heap.push(int32_t(i));
    }
  }
  std::vector<int32_t> out;
  for (; !heap.empty(); heap.pop()) out.push_back(heap.top());
  return out;
}

void ExactGreedyHead::rescore(const float* h, int64_t n, float* logits) const {
  static const F16RowsFn row_fn = pick_for_chosen_isa(f16_rows_for);
  std::vector<float> exact(static_cast<size_t>(k_));
  for (int64_t t = 0; t < n; ++t) {
    float* lt = logits + t * rows_;
    const std::vector<int32_t> cand = top_k(lt, rows_, k_);
    float best = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < cand.size(); ++i) {
      // The f16 model's own kernel for this one row: row r of y lands in lt[r].
      row_fn(w_, cand[i], cand[i] + 1, cols_, h + t * cols_, 1, lt, rows_);
      exact[i] = lt[cand[i]];
      best = std::max(best, exact[i]);
    }
    const float cap = std::nextafter(best, -std::numeric_limits<float>::infinity());
    for (int64_t r = 0; r < rows_; ++r) lt[r] = std::min(lt[r], cap);
    for (size_t i = 0; i < cand.size(); ++i) lt[cand[i]] = exact[i];
  }
}

}  // namespace lowbit

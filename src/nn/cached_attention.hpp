// Causal attention of new tokens against a cache of keys and values (the
// inference side of S2 attention; nn/attention_core.hpp is the training side,
// which keeps the probabilities for its backward). Grouped-query: query head
// h reads KV head h / (n_head / n_head_kv). Softmax in f32 with the maximum
// subtracted. q must already be rotated; the cache holds rotated keys.
#pragma once

#include <cstdint>

#include "nn/attention_core.hpp"

namespace lowbit {

// T tokens at positions [pos0, pos0 + T), whose keys and values are already
// in the cache: k, v point to position 0 of one layer's cache, rows of
// shape.kv_dim() floats. q [T, q_dim] -> out [T, q_dim]. Parallel over
// (token, head) on ThreadPool::global().
void attend_cached(const AttentionShape& shape, const float* k, const float* v, const float* q, int64_t T,
                   int64_t pos0, float* out);

}  // namespace lowbit

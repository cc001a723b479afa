// Exact greedy decoding at low-bit head cost (issue 18): the logits come
// from a low-bit head (Q8_0/Q6_K/Q4_0), then the k best of each row are
// re-scored with the exact f16 rows of the same head, read only for those k
// rows, by the very f16 kernel the f16 model runs (so a re-scored logit is
// bit-identical to the f16 model's). The other rows are capped just below
// the best re-scored one, so the argmax is always a re-scored row: greedy
// decoding gives the f16 model's token whenever the f16 argmax is among the
// k candidates of the low-bit head (tests/model/exact_head_test.cpp counts
// the misses on held-out text; docs/PERFORMANCE.md has the figures).
#pragma once

#include <cstdint>
#include <vector>

#include "model/tensor_ref.hpp"

namespace lowbit {

class ExactGreedyHead {
 public:
  // rows: the f16 head [n_vocab, n_embd], read in place (a file mapping).
  ExactGreedyHead(const TensorRef& rows, int k);
  // h [n, n_embd] (the normed hidden states the head ran on), logits
  // [n, n_vocab] of the low-bit head, rewritten as above.
  void rescore(const float* h, int64_t n, float* logits) const;
  int k() const { return k_; }
  // Bytes read per token for the re-scoring.
  size_t bytes_per_token() const { return size_t(k_) * size_t(cols_) * 2; }

  // The k largest entries of v [n] (indices, any order; ties to the lower index).
  static std::vector<int32_t> top_k(const float* v, int64_t n, int k);

 private:
  const uint16_t* w_;
  int64_t rows_, cols_;
  int k_;
};

}  // namespace lowbit

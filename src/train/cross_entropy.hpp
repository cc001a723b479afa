// Mean softmax cross-entropy over rows of logits, forward and backward,
// with the row statistics in double: the loss of the trainable models
// that compute their logits themselves (hgrn_train_model).
#pragma once

#include <cstdint>
#include <vector>

namespace lowbit {

struct CrossEntropyRows {
  std::vector<double> row_max, row_sum;  // each logits row's max and sum of exp(z - max)
};

// Mean over the N rows of logits [N, V] of -log softmax(z)[target].
double cross_entropy_forward(const float* logits, const int32_t* targets, int64_t N, int64_t V, CrossEntropyRows& keep);

// logits [N, V] become dL/dlogits = (softmax - onehot(target)) / N.
void cross_entropy_backward(float* logits, const int32_t* targets, int64_t N, int64_t V, const CrossEntropyRows& keep);

}  // namespace lowbit

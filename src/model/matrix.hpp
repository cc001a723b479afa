// The weight matrices of the inference model. Each keeps the weight in the
// form its kernel wants (packed ternary, f32, f16 rows, a LinearLayer for
// the lowbit-trained variants) behind one call: y [T, rows] = x [T, cols] W^T.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/tensor_ref.hpp"
#include "nn/linear_layer.hpp"

namespace lowbit {

class Matrix {
 public:
  virtual ~Matrix() = default;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  virtual void matmul(const float* x, int64_t T, float* y) const = 0;
  virtual size_t bytes() const = 0;     // bytes read per full pass over the weight
  virtual std::string describe() const = 0;  // e.g. "ternary tq2_0", "f32"

 protected:
  Matrix(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}
  int64_t rows_, cols_;
};

// Float weights converted to f32 once (F32/F16/BF16/Q8_0/... sources).
std::unique_ptr<Matrix> make_f32_matrix(const TensorRef& t);
// Float weights left in the file's format and converted row by row on each
// pass (for the big tied output head, where an f32 copy would double memory).
std::unique_ptr<Matrix> make_streamed_matrix(const TensorRef& t);
// Ternary weights: W1.58 x A8 with per-token int8 absmax activations, the
// semantics of BitNet b1.58. From TQ1_0/TQ2_0/I2_S, or from a float tensor
// whose values are ternary times a scale (checked; an error otherwise).
std::unique_ptr<Matrix> make_ternary_matrix(const TensorRef& t);
// A lowbit layer (Int8Linear for --int8, BitLinear v1, H-BitLinear) built
// from a float weight.
std::unique_ptr<Matrix> make_layer_matrix(const TensorRef& t, LinearType type, const LinearOptions& opt);

bool is_ternary_format(const FormatTraits& f);

}  // namespace lowbit

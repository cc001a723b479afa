// The weight matrices of the inference model. Each keeps the weight in the
// form its kernel wants (packed ternary, f32, f16 rows, a LinearLayer for
// the lowbit-trained variants) behind one call: y [T, rows] = x [T, cols] W^T.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/ternary_matmul.hpp"
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
  // Row r as floats, for a matrix that keeps its rows in a float format (the
  // f16 head, a streamed head); false for the other kinds. A tied model
  // embeds tokens from its head's rows this way, not from the file.
  virtual bool read_row(int64_t /*r*/, float* /*out*/) const { return false; }
  // The packed weights of a ternary matrix (null for the other kinds).
  virtual const PackedTernary* packed_ternary() const { return nullptr; }
  // Appends the buffers that hold this matrix's weights, for a model that
  // gathers its weights into one mapping (core/buffer_arena.hpp); the
  // matrix stays valid when they are moved. None for f32 tensors, lowbit
  // layers and the head-only kinds (streamed and Q8_0/Q6_K/Q4_0 heads: a
  // model keeps its head in a buffer of its own).
  virtual void weight_buffers(std::vector<AlignedBuffer*>& /*out*/) {}
  // The int8 rows [rows, cols] and row scales of an LLM.int8 matrix and its
  // threshold; false for the other kinds.
  virtual bool int8_rows(float* /*threshold*/, const int8_t** /*cb*/, const float** /*scb*/) const { return false; }

 protected:
  Matrix(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}
  int64_t rows_, cols_;
};

// Float weights converted to f32 once (F32/F16/BF16/Q8_0/... sources).
std::unique_ptr<Matrix> make_f32_matrix(const TensorRef& t);
// A float projection: F16 stays f16 (the f16 GEMV kernel, half the bytes of
// an f32 copy), other float types become f32.
std::unique_ptr<Matrix> make_float_matrix(const TensorRef& t);
// LLM.int8 (S5) straight from a float tensor of any type, quantized one row
// at a time: the matrix holds only the int8 weights and their row scales,
// never an f32 copy of the whole weight.
std::unique_ptr<Matrix> make_int8_matrix(const TensorRef& t, float threshold);
// Float weights left in the file's format and converted row by row on each
// pass (for the big tied output head, where an f32 copy would double memory).
// (Q8_0/Q6_K/Q4_0 heads run on the q-head kernels, kernels/qhead_matmul.hpp.)
std::unique_ptr<Matrix> make_streamed_matrix(const TensorRef& t);
// The output head in format f (--head-type): the tensor as it is when it
// already has that format, else its rows quantized to f (Q8_0, Q6_K, Q4_0
// from any float or integer head format; f16 only from f32/bf16).
std::unique_ptr<Matrix> make_head_matrix(const TensorRef& t, const FormatTraits& f);
// Ternary weights: W1.58 x A8 with per-token int8 absmax activations, the
// semantics of BitNet b1.58. From TQ1_0/TQ2_0/I2_S, or from a float tensor
// whose values are ternary times a scale (checked; an error otherwise).
std::unique_ptr<Matrix> make_ternary_matrix(const TensorRef& t);
// A lowbit layer (Int8Linear for --int8, BitLinear v1, H-BitLinear) built
// from a float weight.
std::unique_ptr<Matrix> make_layer_matrix(const TensorRef& t, LinearType type, const LinearOptions& opt);

// One ternary matrix holding the rows of `parts` one after another, or null
// when they cannot be fused (not all ternary, different columns, a row
// count not a multiple of 4 before the last). Projections that read the
// same input (q/k/v, gate/up) then share one activation quantization and
// one pass of the thread pool; the output is their outputs side by side.
std::unique_ptr<Matrix> fuse_ternary_rows(const std::vector<const Matrix*>& parts);
// The same for LLM.int8 matrices of one threshold (their outlier columns
// come from the shared input, so the fused matrix decides as each part did).
std::unique_ptr<Matrix> fuse_int8_rows(const std::vector<const Matrix*>& parts);
// Whichever of the two applies, or null.
std::unique_ptr<Matrix> fuse_rows(const std::vector<const Matrix*>& parts);

bool is_ternary_format(const FormatTraits& f);

}  // namespace lowbit

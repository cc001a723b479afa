// Reading a model's tensors through a TensorLookup with the checks every
// loader makes (present, shape, a float vector type), errors naming the
// tensor.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/tensor_ref.hpp"

namespace lowbit {

// The tensor, or an error "model file has no tensor '<name>'".
TensorRef require_tensor(const TensorLookup& lookup, std::string_view name);
// The token embedding table [n_vocab, d] in a type whose rows can be read
// one at a time (to_float, no tensor trailer, whole blocks per row); sets
// *row_bytes to the bytes of one row.
TensorRef require_embedding(const TensorLookup& lookup, std::string_view name, int64_t n_vocab, int64_t d,
                            int64_t* row_bytes);
// A float vector (f32, f16, bf16) of n elements as f32.
std::vector<float> load_float_vector(const TensorRef& t, int64_t n);

}  // namespace lowbit

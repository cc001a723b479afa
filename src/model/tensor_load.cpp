#include "model/tensor_load.hpp"

#include "core/error.hpp"

namespace lowbit {

TensorRef require_tensor(const TensorLookup& lookup, std::string_view name) {
  auto t = lookup(name);
  LOWBIT_CHECK(t.has_value(), "model file has no tensor '{}'", name);
  return *t;
}

TensorRef require_embedding(const TensorLookup& lookup, std::string_view name, int64_t n_vocab, int64_t d,
                            int64_t* row_bytes) {
  TensorRef t = require_tensor(lookup, name);
  LOWBIT_CHECK(t.cols == d && t.rows == n_vocab, "tensor '{}' is [{}, {}], expected [{}, {}]", name, t.rows, t.cols,
               n_vocab, d);
  LOWBIT_CHECK(t.format && t.format->to_float && t.format->tensor_trailer_bytes == 0 && d % t.format->block_elems == 0,
               "tensor '{}': type {} is not supported for embeddings", name, t.format ? t.format->name : "(unknown)");
  *row_bytes = d / t.format->block_elems * t.format->block_bytes;
  return t;
}

std::vector<float> load_float_vector(const TensorRef& t, int64_t n) {
  LOWBIT_CHECK(t.numel() == n, "tensor '{}' has {} elements, expected {}", t.name, t.numel(), n);
  LOWBIT_CHECK(t.format && t.format->to_float && t.format->block_elems == 1,
               "tensor '{}': a vector must be f32, f16 or bf16, not {}", t.name,
               t.format ? t.format->name : "(unknown)");
  std::vector<float> v(static_cast<size_t>(n));
  t.format->to_float(t.data, v.data(), n);
  return v;
}

}  // namespace lowbit

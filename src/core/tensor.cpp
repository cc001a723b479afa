#include "core/tensor.hpp"

#include <fmt/format.h>

namespace lowbit {

Shape::Shape(std::initializer_list<int64_t> d) : Shape(std::span<const int64_t>(d.begin(), d.size())) {}

Shape::Shape(std::span<const int64_t> d) {
  LOWBIT_CHECK(d.size() <= size_t(kMaxDims), "tensor rank {} exceeds the maximum of {}", d.size(), kMaxDims);
  rank = int(d.size());
  // The product of the nonzero dimensions must fit comfortably in int64
  // (a zero dimension would otherwise hide an overflow of the others).
  int64_t product = 1;
  for (int i = 0; i < rank; ++i) {
    LOWBIT_CHECK(d[i] >= 0, "negative dimension {} in a tensor shape", d[i]);
    dim[i] = d[i];
    if (d[i] == 0) continue;
    LOWBIT_CHECK(!__builtin_mul_overflow(product, d[i], &product) && product <= (int64_t(1) << 48),
                 "tensor shape with {} dimensions has more than 2^48 elements", rank);
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dim[i];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (rank != o.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (dim[i] != o.dim[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) s += fmt::format("{}{}", i ? ", " : "", dim[i]);
  return s + "]";
}

TensorView::TensorView(void* d, DType t, Shape s) : data(d), dtype(t), shape(s) {
  int64_t st = 1;
  for (int i = shape.rank - 1; i >= 0; --i) {
    stride[i] = st;
    st *= shape.dim[i];
  }
}

bool TensorView::contiguous() const {
  int64_t st = 1;
  for (int i = shape.rank - 1; i >= 0; --i) {
    if (shape.dim[i] != 1 && stride[i] != st) return false;
    st *= shape.dim[i];
  }
  return true;
}

Tensor::Tensor(DType t, Shape s) : buf_(size_t(s.numel()) * dtype_size(t)), view_(nullptr, t, s) {
  view_.data = buf_.data();
}

}  // namespace lowbit

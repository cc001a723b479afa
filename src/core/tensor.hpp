// Tensors: a non-owning view (shape, row-major strides in elements, dtype,
// pointer) over aligned or memory-mapped bytes, and an owning Tensor that
// pairs a view with an AlignedBuffer. Up to 4 dimensions, like GGUF.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"

namespace lowbit {

inline constexpr int kMaxDims = 4;

struct Shape {
  std::array<int64_t, kMaxDims> dim{1, 1, 1, 1};
  int rank = 0;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d);
  explicit Shape(std::span<const int64_t> d);

  int64_t operator[](int i) const { return dim[i]; }
  int64_t numel() const;
  bool operator==(const Shape& o) const;
  std::string str() const;  // "[16, 512]"
};

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::F32;
  Shape shape;
  std::array<int64_t, kMaxDims> stride{};  // in elements, row-major by default

  TensorView() = default;
  TensorView(void* d, DType t, Shape s);  // contiguous row-major

  int64_t numel() const { return shape.numel(); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype); }
  bool contiguous() const;

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
  // Row r of a 2-D view, as a pointer to T.
  template <typename T>
  T* row(int64_t r) const { return static_cast<T*>(data) + r * stride[0]; }
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType t, Shape s);
  static Tensor f32(Shape s) { return Tensor(DType::F32, s); }

  const TensorView& view() const { return view_; }
  const Shape& shape() const { return view_.shape; }
  DType dtype() const { return view_.dtype; }
  int64_t numel() const { return view_.numel(); }
  size_t nbytes() const { return view_.nbytes(); }

  template <typename T>
  T* data() { return static_cast<T*>(view_.data); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(view_.data); }
  template <typename T>
  std::span<T> span() { return {data<T>(), size_t(numel())}; }
  template <typename T>
  std::span<const T> span() const { return {data<T>(), size_t(numel())}; }

 private:
  AlignedBuffer buf_;
  TensorView view_;
};

}  // namespace lowbit

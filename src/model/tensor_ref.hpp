// A weight tensor as a model file holds it: format, raw bytes (usually
// inside a memory-mapped file) and its 2-D shape. The model loader asks a
// TensorLookup for tensors by their GGUF name, so it does not depend on the
// file format that provides them (GGUF, safetensors conversion, tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "formats/format.hpp"

namespace lowbit {

struct TensorRef {
  std::string name;
  const FormatTraits* format = nullptr;
  const void* data = nullptr;
  int64_t rows = 1;  // GGUF ne[1] (1 for vectors)
  int64_t cols = 0;  // GGUF ne[0]: the contiguous dimension
  int64_t numel() const { return rows * cols; }
  // Releases source bytes [offset, offset + n) (clamped to the tensor) once
  // a matrix keeps its own copy of them, so they do not count twice in the
  // resident set (may be empty: then the source stays).
  std::function<void(size_t offset, size_t n)> release;
  void release_all() const {
    if (release) release(0, SIZE_MAX);
  }
};

// Returns the tensor of that name, or nullopt when the file lacks it.
using TensorLookup = std::function<std::optional<TensorRef>(std::string_view name)>;

}  // namespace lowbit

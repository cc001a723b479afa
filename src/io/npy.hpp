// NumPy .npy files (format versions 1.0-3.0), f32 little-endian, C order:
// the exchange format of `lowbit layers run`, so users can feed PyTorch
// weights and compare outputs. Anything else is rejected with a message that
// names the file and what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace lowbit {

// Largest header we accept; NumPy itself writes a few hundred bytes at most.
inline constexpr size_t kNpyMaxHeader = 1 << 16;

// Parses an in-memory .npy image; `name` is used in error messages.
Tensor npy_parse(std::string_view bytes, const std::string& name);
Tensor npy_load(const std::string& path);

// Writes an f32 tensor as .npy version 1.0.
std::string npy_serialize(const Tensor& t);
void npy_save(const std::string& path, const Tensor& t);

}  // namespace lowbit

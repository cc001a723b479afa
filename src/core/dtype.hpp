// Element types of tensors. Packed low-bit weight formats are described by
// the format registry in formats/; here they appear only as opaque bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lowbit {

enum class DType : uint8_t { F32, F16, BF16, I8, U8, I32, Packed };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I8: return 1;
    case DType::U8: return 1;
    case DType::I32: return 4;
    case DType::Packed: return 1;  // bytes; the format knows the geometry
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I8: return "int8";
    case DType::U8: return "uint8";
    case DType::I32: return "int32";
    case DType::Packed: return "packed";
  }
  return "?";
}

}  // namespace lowbit

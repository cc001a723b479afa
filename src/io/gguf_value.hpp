// GGUF metadata values: the 13 value types of the format (gguf.h enum
// gguf_type; the variant index equals the type id) and arrays, which may nest.
// Numeric array elements stay packed little-endian bytes, so an array costs
// no more memory than its bytes in the file, whatever count it claims; string
// elements stay in the file (gguf_strings.hpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/string_list.hpp"
#include "io/gguf_strings.hpp"

namespace lowbit {

enum class GgufType : uint32_t { U8, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64, kCount };

// "u8", "i32", "f32", "bool", "string", "array", ...
std::string_view gguf_type_name(GgufType t);
// Bytes of one scalar element; 0 for string and array.
size_t gguf_scalar_size(GgufType t);

// The GgufType that stores a C++ type (bool, std::string, fixed-width ints, float, double).
template <typename T>
constexpr GgufType gguf_type_of() {
  if constexpr (std::is_same_v<T, uint8_t>) return GgufType::U8;
  else if constexpr (std::is_same_v<T, int8_t>) return GgufType::I8;
  else if constexpr (std::is_same_v<T, uint16_t>) return GgufType::U16;
  else if constexpr (std::is_same_v<T, int16_t>) return GgufType::I16;
  else if constexpr (std::is_same_v<T, uint32_t>) return GgufType::U32;
  else if constexpr (std::is_same_v<T, int32_t>) return GgufType::I32;
  else if constexpr (std::is_same_v<T, float>) return GgufType::F32;
  else if constexpr (std::is_same_v<T, bool>) return GgufType::Bool;
  else if constexpr (std::is_same_v<T, std::string>) return GgufType::String;
  else if constexpr (std::is_same_v<T, uint64_t>) return GgufType::U64;
  else if constexpr (std::is_same_v<T, int64_t>) return GgufType::I64;
  else if constexpr (std::is_same_v<T, double>) return GgufType::F64;
  else static_assert(sizeof(T) == 0, "not a GGUF element type");
}

struct GgufArray {
  GgufType type = GgufType::U8;        // element type
  uint64_t count = 0;                  // number of elements
  std::vector<uint8_t> raw;            // scalar elements, packed (bool: one byte 0/1)
  GgufStrings strings;                 // type == String
  std::vector<GgufArray> arrays;       // type == Array (nested)

  template <typename T>
  static GgufArray of(std::span<const T> v) {
    GgufArray a;
    a.type = gguf_type_of<T>();
    a.count = v.size();
    if constexpr (std::is_same_v<T, std::string>) {
      a.strings = GgufStrings::encode(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      for (bool b : v) a.raw.push_back(b ? 1 : 0);
    } else {
      a.raw.resize(v.size() * sizeof(T));
      if (!v.empty()) std::memcpy(a.raw.data(), v.data(), a.raw.size());
    }
    return a;
  }
  template <typename T>
  static GgufArray of(const std::vector<T>& v) {
    if constexpr (std::is_same_v<T, bool>) {
      GgufArray a;
      a.type = GgufType::Bool;
      a.count = v.size();
      for (bool b : v) a.raw.push_back(b ? 1 : 0);
      return a;
    } else {
      return of(std::span<const T>(v));
    }
  }
  static GgufArray of(const StringList& v);
  static GgufArray of_arrays(std::vector<GgufArray> v);

  // The elements as T; T must match `type` exactly (nested arrays: use `arrays`).
  template <typename T>
  std::vector<T> as() const {
    LOWBIT_CHECK(type == gguf_type_of<T>(), "array of {} read as array of {}", gguf_type_name(type),
                 gguf_type_name(gguf_type_of<T>()));
    if constexpr (std::is_same_v<T, std::string>) {
      return strings.to_vector();
    } else if constexpr (std::is_same_v<T, bool>) {
      std::vector<bool> out;
      for (uint8_t b : raw) out.push_back(b != 0);
      return out;
    } else {
      std::vector<T> out(count);
      if (count) std::memcpy(out.data(), raw.data(), count * sizeof(T));
      return out;
    }
  }
  bool operator==(const GgufArray&) const = default;
};

using GgufVariant = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string,
                                 GgufArray, uint64_t, int64_t, double>;

struct GgufValue {
  GgufVariant v;

  GgufValue() = default;
  template <typename T>
    requires std::is_constructible_v<GgufVariant, T>
  GgufValue(T x) : v(std::move(x)) {}
  GgufValue(const char* s) : v(std::string(s)) {}

  GgufType type() const { return GgufType(v.index()); }
  bool operator==(const GgufValue&) const = default;
};

// One line: scalars as text, strings quoted, arrays as "[u32 x 3: 1, 2, 3]"
// with at most `max_items` elements shown.
std::string gguf_value_summary(const GgufValue& v, size_t max_items = 8);
std::string gguf_array_summary(const GgufArray& a, size_t max_items = 8);

}  // namespace lowbit

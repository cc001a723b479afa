// The key/value metadata of a GGUF file, in file order, with the typed
// accessors the model loader uses: get_*(key) throws an Error naming the file
// and the key when it is missing or has another type; find_*(key) returns
// std::nullopt when missing (and still throws on a wrong type, which is a
// broken file rather than an absent option).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/gguf_value.hpp"

namespace lowbit {

class GgufMetadata {
 public:
  explicit GgufMetadata(std::string source = "gguf") : source_(std::move(source)) {}

  // Adds a key; a duplicate key is an Error.
  void add(std::string key, GgufValue value);
  // Adds or replaces.
  void set(std::string key, GgufValue value);

  const GgufValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  const GgufValue& at(std::string_view key) const;
  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  const std::string& source() const { return source_; }

  template <typename T>
  const T& get(std::string_view key) const {
    return checked<T>(key, at(key));
  }
  template <typename T>
  std::optional<T> find_as(std::string_view key) const {
    const GgufValue* v = find(key);
    if (!v) return std::nullopt;
    return checked<T>(key, *v);
  }
  // Elements of an array value of element type T.
  template <typename T>
  std::vector<T> get_array(std::string_view key) const {
    return array_of(key, gguf_type_of<T>()).template as<T>();
  }
  template <typename T>
  std::optional<std::vector<T>> find_array(std::string_view key) const {
    if (!contains(key)) return std::nullopt;
    return get_array<T>(key);
  }
  // The elements of a string array in place, without copying them (a
  // vocabulary's strings, read once by the tokenizer).
  const GgufStrings& get_strings(std::string_view key) const { return array_of(key, GgufType::String).strings; }
  const GgufStrings* find_strings(std::string_view key) const {
    return contains(key) ? &get_strings(key) : nullptr;
  }

  uint32_t get_u32(std::string_view key) const { return get<uint32_t>(key); }
  int32_t get_i32(std::string_view key) const { return get<int32_t>(key); }
  uint64_t get_u64(std::string_view key) const { return get<uint64_t>(key); }
  float get_f32(std::string_view key) const { return get<float>(key); }
  bool get_bool(std::string_view key) const { return get<bool>(key); }
  const std::string& get_string(std::string_view key) const { return get<std::string>(key); }
  std::optional<uint32_t> find_u32(std::string_view key) const { return find_as<uint32_t>(key); }
  std::optional<float> find_f32(std::string_view key) const { return find_as<float>(key); }
  std::optional<bool> find_bool(std::string_view key) const { return find_as<bool>(key); }
  std::optional<std::string> find_string(std::string_view key) const { return find_as<std::string>(key); }

  // Any integer type (writers disagree on u32/i32/u64 for counts), range checked.
  int64_t get_int(std::string_view key) const;
  std::optional<int64_t> find_int(std::string_view key) const;

 private:
  template <typename T>
  const T& checked(std::string_view key, const GgufValue& v) const {
    const T* p = std::get_if<T>(&v.v);
    LOWBIT_CHECK(p, "{}: metadata key '{}' has type {}, expected {}", source_, key, gguf_type_name(v.type()),
                 gguf_type_name(type_of<T>()));
    return *p;
  }
  // The array at `key`, whose elements must have type `elem`.
  const GgufArray& array_of(std::string_view key, GgufType elem) const {
    const GgufArray& a = get<GgufArray>(key);
    LOWBIT_CHECK(a.type == elem, "{}: metadata key '{}' is an array of {}, expected an array of {}", source_, key,
                 gguf_type_name(a.type), gguf_type_name(elem));
    return a;
  }
  template <typename T>
  static constexpr GgufType type_of() {
    if constexpr (std::is_same_v<T, GgufArray>) return GgufType::Array;
    else return gguf_type_of<T>();
  }

  std::string source_;
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace lowbit

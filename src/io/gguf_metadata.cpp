#include "io/gguf_metadata.hpp"

#include <limits>

namespace lowbit {

void GgufMetadata::add(std::string key, GgufValue value) {
  LOWBIT_CHECK(!index_.contains(key), "{}: duplicate metadata key '{}'", source_, key);
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

void GgufMetadata::set(std::string key, GgufValue value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  add(std::move(key), std::move(value));
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const GgufValue& GgufMetadata::at(std::string_view key) const {
  const GgufValue* v = find(key);
  LOWBIT_CHECK(v, "{}: metadata key '{}' is missing", source_, key);
  return *v;
}

std::optional<int64_t> GgufMetadata::find_int(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return std::nullopt;
  return std::visit(
      [&](const auto& x) -> int64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_same_v<T, uint64_t>)
            LOWBIT_CHECK(x <= uint64_t(std::numeric_limits<int64_t>::max()), "{}: metadata key '{}' = {} is too large",
                         source_, key, x);
          return int64_t(x);
        } else {
          fail("{}: metadata key '{}' has type {}, expected an integer", source_, key, gguf_type_name(v->type()));
        }
      },
      v->v);
}

int64_t GgufMetadata::get_int(std::string_view key) const {
  at(key);
  return *find_int(key);
}

}  // namespace lowbit

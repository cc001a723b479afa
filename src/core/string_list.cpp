#include "core/string_list.hpp"

#include <limits>

#include "core/error.hpp"

namespace lowbit {

StringList::StringList(std::initializer_list<std::string_view> strings) {
  size_t n = 0;
  for (std::string_view s : strings) n += s.size();
  reserve(strings.size(), n);
  for (std::string_view s : strings) push_back(s);
}

StringList::StringList(std::span<const std::string> strings) {
  size_t n = 0;
  for (const std::string& s : strings) n += s.size();
  reserve(strings.size(), n);
  for (const std::string& s : strings) push_back(s);
}

void StringList::reserve(size_t n_strings, size_t n_bytes) {
  ends_.reserve(n_strings);
  bytes_.reserve(n_bytes);
}

void StringList::push_back(std::string_view s) {
  LOWBIT_CHECK(s.size() <= std::numeric_limits<uint32_t>::max() - bytes_.size(),
               "string list: more than 4 GiB of strings");
  bytes_.append(s);
  ends_.push_back(uint32_t(bytes_.size()));
}

void StringList::clear() {
  bytes_.clear();
  ends_.clear();
}

}  // namespace lowbit

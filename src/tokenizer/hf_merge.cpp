#include "tokenizer/hf_merge.hpp"

#include "core/error.hpp"

namespace lowbit {

std::array<std::string, 2> parse_hf_merge(const nlohmann::json& m, std::string_view source, size_t index) {
  if (m.is_string()) {  // "left right"
    const std::string s = m.get<std::string>();
    const size_t sp = s.find(' ');
    LOWBIT_CHECK(sp != std::string::npos && s.find(' ', sp + 1) == std::string::npos,
                 "{}: model.merges[{}]: expected 'left right'", source, index);
    return {s.substr(0, sp), s.substr(sp + 1)};
  }
  // ["left", "right"]
  LOWBIT_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
               "{}: model.merges[{}]: expected a string or a pair of strings", source, index);
  return {m[0].get<std::string>(), m[1].get<std::string>()};
}

}  // namespace lowbit

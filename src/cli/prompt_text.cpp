#include "cli/prompt_text.hpp"

#include <iostream>
#include <iterator>

#include "core/hex_digit.hpp"
#include "io/file_util.hpp"

namespace lowbit::cli {

std::string process_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '0': out += '\0'; break;
      case '\\':
      case '\'':
      case '"':
      case '?': out += c; break;
      case 'x': {
        int v = -1;
        size_t j = i + 1;
        for (; j < s.size() && j < i + 3 && hex_digit(s[j]) >= 0; ++j) v = (v < 0 ? 0 : v * 16) + hex_digit(s[j]);
        if (v < 0) {
          out += "\\x";  // no digits: not an escape
        } else {
          out += char(v);
          i = j - 1;
        }
        break;
      }
      default: out += '\\'; out += c;
    }
  }
  return out;
}

std::string read_prompt_file(const std::string& path) {
  if (path != "-") return read_file(path);
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

}  // namespace lowbit::cli

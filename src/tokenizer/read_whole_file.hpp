// Reads a whole file for the tokenizer loaders. Kept here rather than taken
// from io/, because tokenizer/ depends on core/ only (DESIGN.md section 3).
#pragma once

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace lowbit::detail {

inline std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LOWBIT_CHECK(in.good(), "{}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  LOWBIT_CHECK(!in.bad(), "{}: read error", path);
  return std::move(ss).str();
}

}  // namespace lowbit::detail

#include "io/file_util.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace lowbit {

std::string read_file(const std::string& path) {
  // A directory opens as a stream that reads nothing: say what it is.
  LOWBIT_CHECK(!std::filesystem::is_directory(path), "{}: is a directory, not a file", path);
  std::ifstream in(path, std::ios::binary);
  LOWBIT_CHECK(in.good(), "{}: cannot open: {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  LOWBIT_CHECK(!in.bad(), "{}: read error", path);
  return std::move(ss).str();
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
}

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& body) {
  const std::string tmp = path + ".tmp";
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    LOWBIT_CHECK(out.good(), "{}: cannot create: {}", tmp, std::strerror(errno));
    body(out);
    out.flush();
    LOWBIT_CHECK(out.good(), "{}: write error: {}", tmp, std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    fail("{}: cannot rename {} over it: {}", path, tmp, std::strerror(e));
  }
}

}  // namespace lowbit

#include "io/data_dir.hpp"

#include <cstdlib>
#include <system_error>

namespace lowbit {

namespace fs = std::filesystem;

namespace {

// The folder of the running executable (Linux: /proc/self/exe), so that a
// relocated binary finds data relative to itself; empty if unknown.
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

}  // namespace

std::vector<fs::path> data_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LOWBIT_DATA_DIR"); env && *env) dirs.emplace_back(env);
  if (const fs::path exe = executable_dir(); !exe.empty()) {
    dirs.push_back(exe / ".." / "share" / "lowbit" / "data");
    dirs.push_back(exe / ".." / ".." / "data");
  }
#ifdef LOWBIT_SOURCE_DIR
  dirs.push_back(fs::path(LOWBIT_SOURCE_DIR) / "data");
#endif
  return dirs;
}

std::string find_data_file(std::string_view name) {
  for (const fs::path& d : data_dirs()) {
    std::error_code ec;
    const fs::path p = d / fs::path(name);
    if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  }
  return {};
}

}  // namespace lowbit

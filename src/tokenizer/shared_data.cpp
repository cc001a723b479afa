#include "tokenizer/shared_data.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace lowbit {

std::string find_shared_data(std::string_view name) {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LOWBIT_DATA_DIR")) dirs.emplace_back(env);
#ifdef LOWBIT_SOURCE_DIR
  dirs.push_back(fs::path(LOWBIT_SOURCE_DIR) / ".." / "shared" / "data");
  // A worktree one level deeper (wt/<name>) than the main checkout.
  dirs.push_back(fs::path(LOWBIT_SOURCE_DIR) / ".." / ".." / "shared" / "data");
#endif
  for (const fs::path& d : dirs) {
    std::error_code ec;
    const fs::path p = d / fs::path(name);
    if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  }
  return {};
}

}  // namespace lowbit

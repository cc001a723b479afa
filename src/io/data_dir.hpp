// Where the data files that ship in the repository's data/ folder (the
// tinyshakespeare corpus, the LLaMA-3 tiktoken ranks; data/README.md) are
// found at run time, for a binary in the build tree and for one that was
// copied or installed elsewhere.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lowbit {

// The folders searched, in order: $LOWBIT_DATA_DIR (when set), then, from
// the running executable's folder E, E/../share/lowbit/data (an installed
// prefix) and E/../../data (build/bin inside a checkout), then the data/
// folder of the source tree this binary was built from.
std::vector<std::filesystem::path> data_dirs();

// The first data_dirs()/name that is a regular file, normalized; empty if
// none is.
std::string find_data_file(std::string_view name);

}  // namespace lowbit

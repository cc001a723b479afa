// Whole-file reads and atomic writes (temp file + rename) with errors that
// name the path.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lowbit {

std::string read_file(const std::string& path);
// Writes to `path.tmp` and renames over `path`, so readers never see a
// half-written file.
void write_file_atomic(const std::string& path, std::string_view bytes);
// The same for files too big to build in memory: `body` streams the bytes.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& body);

}  // namespace lowbit

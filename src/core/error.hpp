// lowbit::Error: the one exception type of the library. Its message is meant
// to be printed as is, on one line, by the CLI: it names the file, the field
// or the offset that was wrong, so a user can act on it.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace lowbit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace lowbit

// Checks a condition that depends on input (files, shapes, options); never
// compiled out. The message is formatted only when the check fails.
#define LOWBIT_CHECK(cond, ...)               \
  do {                                        \
    if (!(cond)) ::lowbit::fail(__VA_ARGS__); \
  } while (0)

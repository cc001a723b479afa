#include "cli/console.hpp"

#include <unistd.h>

#include <atomic>

namespace lowbit::cli {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Normal};
std::atomic<bool> g_line_open{false};  // a '\r' progress line without its newline yet
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level); }
LogLevel log_level() { return g_level.load(); }
bool verbose() { return log_level() == LogLevel::Verbose; }

bool stderr_is_terminal() {
  static const bool tty = ::isatty(STDERR_FILENO) == 1;
  return tty;
}

void end_progress_line() {
  if (g_line_open.exchange(false)) std::fputc('\n', stderr);
}

void log_line(std::string_view text) {
  end_progress_line();
  fmt::print(stderr, "{}\n", text);
}

void print_error(std::string_view message) noexcept {
  if (g_line_open.exchange(false)) std::fputc('\n', stderr);
  std::fputs("lowbit: error: ", stderr);
  std::fwrite(message.data(), 1, message.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void ProgressLine::update(size_t done, size_t total, std::string_view text) {
  if (log_level() == LogLevel::Quiet) return;
  const bool last = done >= total;
  if (stderr_is_terminal()) {
    fmt::print(stderr, "\r{} {}   ", label_, text);
    g_line_open.store(!last);
    if (last) std::fputc('\n', stderr);
    return;
  }
  // A log file gets a line per tenth, so a long job shows it is alive
  // without a line per unit.
  const size_t tenth = total ? done * 10 / total : 10;
  if (tenth > last_tenth_ || last) {
    last_tenth_ = tenth;
    fmt::print(stderr, "{} {}\n", label_, text);
  }
}

}  // namespace lowbit::cli

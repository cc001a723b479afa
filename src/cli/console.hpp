// What the CLI writes on stderr besides results: the one error line, the
// informational lines that --log-disable silences and --verbose extends, and
// progress lines. A progress line on a terminal is redrawn in place with
// '\r'; whatever is printed next (an error above all) starts on a fresh line.
// Into a file or a pipe progress goes as plain lines, a few per run, never '\r'.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lowbit::cli {

enum class LogLevel { Quiet, Normal, Verbose };
void set_log_level(LogLevel level);
LogLevel log_level();
bool verbose();

bool stderr_is_terminal();

// Ends a progress line left open on the terminal (no-op otherwise).
void end_progress_line();

// One informational line on stderr (not under --log-disable).
void log_line(std::string_view text);
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() != LogLevel::Quiet) log_line(fmt::format(f, std::forward<Args>(args)...));
}
// Only under --verbose.
template <typename... Args>
void log_verbose(fmt::format_string<Args...> f, Args&&... args) {
  if (verbose()) log_line(fmt::format(f, std::forward<Args>(args)...));
}

// The single `lowbit: error: ...` line every failure ends with (never
// throws: it runs in the last handlers).
void print_error(std::string_view message) noexcept;

// Progress of a long job: redrawn in place on a terminal; on a file or a
// pipe, a plain line at every tenth of the job (and the last).
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)) {}
  // `text` describes the state after `done` of `total` units.
  void update(size_t done, size_t total, std::string_view text);

 private:
  std::string label_;
  size_t last_tenth_ = 0;
};

}  // namespace lowbit::cli

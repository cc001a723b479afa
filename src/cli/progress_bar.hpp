// A progress bar on stderr for long commands (convert, quantize): a bar
// redrawn in place on a terminal, a few plain lines into a log file
// (cli/console.hpp).
#pragma once

#include <string>

#include <fmt/format.h>

#include "cli/console.hpp"
#include "core/timer.hpp"

namespace lowbit::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : line_(std::move(label)) {}
  void update(size_t done, size_t total) {
    const double f = total ? double(done) / double(total) : 1.0, el = timer_.seconds();
    line_.update(done, total,
                 fmt::format("[{:<30}] {}/{} {:.0f}s ETA {:.0f}s", std::string(size_t(f * 30), '#'), done, total, el,
                             f > 0 ? el / f - el : 0.0));
  }

 private:
  ProgressLine line_;
  Timer timer_;
};

}  // namespace lowbit::cli

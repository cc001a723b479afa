// A one-line progress bar on stderr for long commands (convert, quantize).
#pragma once

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "core/timer.hpp"

namespace lowbit::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)) {}
  void update(size_t done, size_t total) {
    const double f = total ? double(done) / double(total) : 1.0, el = timer_.seconds();
    fmt::print(stderr, "\r{} [{:<30}] {}/{} {:.0f}s ETA {:.0f}s ", label_, std::string(size_t(f * 30), '#'), done,
               total, el, f > 0 ? el / f - el : 0.0);
    if (done == total) fmt::print(stderr, "\n");
  }

 private:
  std::string label_;
  Timer timer_;
};

}  // namespace lowbit::cli

#include "cli/command.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/thread_pool.hpp"

namespace lowbit::cli {

namespace {
struct Entry {
  int order;
  std::string name, help;
  CommandSetup setup;
};
std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}
}  // namespace

CommandRegistrar::CommandRegistrar(int order, std::string name, std::string help, CommandSetup setup) {
  registry().push_back({order, std::move(name), std::move(help), std::move(setup)});
}

void install_commands(CLI::App& app) {
  auto& r = registry();
  std::sort(r.begin(), r.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
  for (auto& e : r) e.setup(*app.add_subcommand(e.name, e.help));
}

namespace {
// The value as a number, or an error text when it is not one.
std::string number_or_error(const std::string& s, double& v) {
  try {
    size_t used = 0;
    v = std::stod(s, &used);
    if (used == s.size()) return {};
  } catch (const std::exception&) {}
  return fmt::format("'{}' is not a number", s);
}
}  // namespace

CLI::Validator in_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) {
        double v = 0;
        if (std::string e = number_or_error(s, v); !e.empty()) return e;
        return v >= lo && v <= hi ? std::string() : fmt::format("must be between {} and {}, got {}", lo, hi, s);
      },
      fmt::format("{}..{}", lo, hi));
}

CLI::Validator at_least(double lo) {
  return CLI::Validator(
      [lo](std::string& s) {
        double v = 0;
        if (std::string e = number_or_error(s, v); !e.empty()) return e;
        return v >= lo ? std::string() : fmt::format("must be at least {}, got {}", lo, s);
      },
      fmt::format(">= {}", lo));
}

void add_threads_option(CLI::App& sub, int& threads) {
  sub.add_option("-t,--threads", threads, "worker threads")->check(in_range(1, 1024))->default_str("all cores");
}

void apply_threads(int threads) {
  if (threads > 0) ThreadPool::set_global_threads(threads);
}

}  // namespace lowbit::cli

#include "cli/command.hpp"

#include <algorithm>
#include <vector>

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

void add_threads_option(CLI::App& sub, int& threads) {
  sub.add_option("-t,--threads", threads, "worker threads (default: all cores)")->check(CLI::Range(1, 1024));
}

void apply_threads(int threads) {
  if (threads > 0) ThreadPool::set_global_threads(threads);
}

}  // namespace lowbit::cli

// Subcommands register themselves here (one file per command), so main.cpp
// never changes when a command is added. `order` fixes their place in --help.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lowbit::cli {

// Sets up the subcommand's options and its callback on `sub`.
using CommandSetup = std::function<void(CLI::App& sub)>;

struct CommandRegistrar {
  CommandRegistrar(int order, std::string name, std::string help, CommandSetup setup);
};

// Installs every registered command on `app`, in `order`.
void install_commands(CLI::App& app);

// Thrown by a command that ends with this exit status and no error line
// (an interrupted training run: 130).
struct ExitStatus {
  int status;
};

// Range checks whose message names the bounds plainly ("must be between 1
// and 1024, got 0"); CLI::PositiveNumber would print DBL_MAX in full.
CLI::Validator in_range(double lo, double hi);
CLI::Validator at_least(double lo);

// Adds -t/--threads to a command and applies it before the callback runs.
void add_threads_option(CLI::App& sub, int& threads);
void apply_threads(int threads);

}  // namespace lowbit::cli

// The `lowbit` command: parses the command line and runs one subcommand.
// Every error ends here as one line on stderr and exit status 1, parse
// errors included (CLI11 would print its own text and exit 105-109).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/console.hpp"
#include "core/error.hpp"

namespace {

CLI::App* find_command(CLI::App& app, const std::string& name) {
  const std::vector<CLI::App*> all = app.get_subcommands([](CLI::App*) { return true; });
  for (CLI::App* sub : all)
    if (sub->check_name(name)) return sub;
  return nullptr;
}

// `lowbit help [COMMAND]`: the usage of lowbit or of one command.
int print_help(CLI::App& app, int argc, char** argv) {
  if (argc > 2) {
    const CLI::App* sub = find_command(app, argv[2]);
    if (sub == nullptr) {
      lowbit::cli::print_error(fmt::format("no command '{}' (lowbit help lists them)", argv[2]));
      return 1;
    }
    std::fputs(sub->help().c_str(), stdout);
    return 0;
  }
  std::fputs(app.help().c_str(), stdout);
  return 0;
}

// CLI11's message with the command whose options were wrong, so the line
// says where to look.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  std::string where = "lowbit";
  for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
    a = a->get_subcommands().front();
    where += " " + a->get_name();
  }
  return fmt::format("{} (see {} --help)", e.what(), where);
}

// The command line, parsed and run; errors of the parse end here, the
// command's own in main().
int run_command_line(int argc, char** argv) {
  CLI::App app{"lowbit: train, convert, run and serve 1-bit and low-bit LLMs", "lowbit"};
  app.set_version_flag("--version", "lowbit 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // the flags below are taken after the command too: `lowbit generate --verbose`
  bool log_disable = false, verbose = false;
  app.add_flag("--log-disable", log_disable, "no informational lines on stderr (errors still are)");
  app.add_flag("--verbose", verbose, "more detail on stderr (the seed used, ...)");
  app.footer("lowbit help COMMAND (or lowbit COMMAND --help) shows a command's options.\n");
  app.option_defaults()->always_capture_default();  // every --help shows the defaults
  lowbit::cli::install_commands(app);
  if (argc == 1) {
    std::fputs(app.help().c_str(), stdout);
    return 1;
  }
  if (std::string(argv[1]) == "help") return print_help(app, argc, argv);
  if (argv[1][0] != '-' && find_command(app, argv[1]) == nullptr) {
    lowbit::cli::print_error(fmt::format("no command '{}' (lowbit help lists them)", argv[1]));
    return 1;
  }
  // llama.cpp's multi-letter short flags, which CLI11 cannot name.
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& a : args)
    if (a == "-cnv") a = "--conversation";
  // Read before parsing: the command runs inside parse(), and its first
  // lines must already follow these.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a == "--log-disable") log_disable = true;
    if (a == "--verbose") verbose = true;
  }
  lowbit::cli::set_log_level(log_disable ? lowbit::cli::LogLevel::Quiet
                             : verbose   ? lowbit::cli::LogLevel::Verbose
                                         : lowbit::cli::LogLevel::Normal);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);  // CLI11's order: last first, no argv[0]
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const lowbit::cli::ExitStatus& e) {
    return e.status;
  } catch (const CLI::ParseError& e) {
    lowbit::cli::print_error(parse_error_message(app, e));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_command_line(argc, argv);
  } catch (const lowbit::Error& e) {
    lowbit::cli::print_error(e.what());
  } catch (const std::bad_alloc&) {
    lowbit::cli::print_error("out of memory");
  } catch (const std::exception& e) {
    lowbit::cli::print_error(e.what());
  }
  return 1;
}

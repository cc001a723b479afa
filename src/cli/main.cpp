// The `lowbit` command: parses the command line and runs one subcommand.
// Every error ends here as one line on stderr and exit status 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/command.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"lowbit: train, convert, run and serve 1-bit and low-bit LLMs", "lowbit"};
  app.set_version_flag("--version", "lowbit 0.1.0");
  app.require_subcommand(1);
  lowbit::cli::install_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lowbit::Error& e) {
    std::fprintf(stderr, "lowbit: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lowbit: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lowbit: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

#include "cli/interrupt.hpp"

#include <csignal>

namespace lowbit::cli {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_previous {};

extern "C" void on_sigint(int) { g_interrupted = 1; }

// SA_RESTART while generating (a write to the terminal must not fail half
// way); without it at the prompt, so that the blocked read returns.
void install(bool restart) {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGINT, &sa, nullptr);
}
}  // namespace

InterruptHandler::InterruptHandler() {
  sigaction(SIGINT, nullptr, &g_previous);
  install(false);
}

InterruptHandler::~InterruptHandler() { sigaction(SIGINT, &g_previous, nullptr); }

void InterruptHandler::generating(bool on) {
  g_interrupted = 0;
  install(on);
}

bool InterruptHandler::interrupted() const { return g_interrupted != 0; }

}  // namespace lowbit::cli

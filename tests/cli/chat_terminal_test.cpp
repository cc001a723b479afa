// `lowbit chat` in a terminal session (a pseudo-terminal, as a user types):
// five turns with the bundled model's 256-token context keep going (the
// oldest turns are dropped and the system prompt kept, said on stderr); an
// answer cut by a limit says so; Ctrl-C during an answer ends the answer and
// the session goes on; Ctrl-C at the prompt ends the session.
#include <gtest/gtest.h>

#include "lowbit_process.hpp"

namespace {

using namespace lowbit_test;

// Ctrl-C during the answer just typed. The answer of this small model takes
// milliseconds, so the output is first held with Ctrl-S (XOFF: the model's
// next write blocks), then Ctrl-C is typed. If the answer had already ended
// (the next prompt is on the screen), Ctrl-Q lets it go and the turn counts
// as not interrupted. Returns whether the answer was cut by the Ctrl-C.
bool interrupt_answer(PtySession& s, const std::string& line, size_t before) {
  const size_t echo = s.wait_for(line + "\r\n", before);
  EXPECT_NE(echo, std::string::npos) << s.screen();
  if (echo == std::string::npos || !s.wait_for_more(echo + line.size() + 2)) return false;
  s.type("\x13");
  s.wait_for("\n> ", echo, 0.2);  // drain what was written before the hold
  if (s.screen().find("\n> ", echo) != std::string::npos) {
    s.type("\x11");
    return false;
  }
  s.type("\x03");
  const size_t stats = s.wait_for(" tokens, ", echo);
  EXPECT_NE(stats, std::string::npos) << s.screen();
  return stats != std::string::npos && s.screen().find("answer cut: interrupted", echo) != std::string::npos;
}

TEST(ChatTerminal, FiveTurnsPastTheContextAndCtrlC) {
  PtySession s({"chat", "-m", bundled_model(), "-t", "1", "-s", "3", "--ignore-eos", "--system", "You speak verse."});
  ASSERT_TRUE(s.started());
  size_t at = s.wait_for("> ", 0);
  ASSERT_NE(at, std::string::npos) << s.screen();
  const char* lines[] = {"Who art thou?", "Whence comest thou?", "Tell me a long tale of kings.", "What of the queen?",
                         "Farewell then."};
  int interrupted_turn = -1;
  for (int turn = 0; turn < 5; ++turn) {
    const size_t before = s.screen().size();
    s.type(std::string(lines[turn]) + "\r");
    // From the third turn on, until one Ctrl-C lands inside an answer.
    if (turn >= 2 && interrupted_turn < 0 && interrupt_answer(s, lines[turn], before)) interrupted_turn = turn;
    const size_t stats = s.wait_for(" tokens, ", before);
    ASSERT_NE(stats, std::string::npos) << "turn " << turn << ":\n" << s.screen();
    at = s.wait_for("> ", stats);
    ASSERT_NE(at, std::string::npos) << "turn " << turn << " left no prompt:\n" << s.screen();
  }
  const std::string& t = s.screen();
  EXPECT_GE(interrupted_turn, 2) << "no Ctrl-C landed inside an answer:\n" << t;
  EXPECT_EQ(t.find("lowbit: error"), std::string::npos) << t;
  EXPECT_NE(t.find("oldest messages (the system prompt stays)"), std::string::npos) << t;
  // With --ignore-eos an uninterrupted answer runs to the -n limit (128)
  // and says so.
  EXPECT_NE(t.find("answer cut: the -n limit of 128 tokens"), std::string::npos) << t;
  // Ctrl-C at the prompt ends the session. One typed the instant the
  // prompt shows may still count for the answer before it (the program
  // switches after writing the prompt): a second one ends it.
  int status = -1;
  for (int attempt = 0; attempt < 3 && status < 0; ++attempt) {
    s.type("\x03");
    status = s.wait_exit(2);
  }
  EXPECT_EQ(status, 0) << t;
}

TEST(ChatTerminal, EofEndsTheSession) {
  const Result r = run_lowbit("chat -t 1 -n 8 --temp 0", "Hello\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("[8 tokens"), std::string::npos) << r.err;
}

}  // namespace

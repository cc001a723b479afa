// Ctrl-C in the interactive commands (chat, generate -i / -cnv), as in
// llama.cpp: while the model writes an answer, SIGINT ends the answer and
// the session goes on; at the prompt it ends the session (the read of the
// next line fails, as on EOF). One typed in the instant between the end of
// an answer and the prompt counts for the answer: a second one quits.
#pragma once

namespace lowbit::cli {

class InterruptHandler {
 public:
  InterruptHandler();   // installs the SIGINT handler
  ~InterruptHandler();  // restores the previous one
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // While generating, a SIGINT only sets the flag (system calls restart);
  // at the prompt it interrupts the read. Either clears the flag.
  void generating(bool on);
  // Whether a SIGINT came since the last generating().
  bool interrupted() const;
};

}  // namespace lowbit::cli

// The conversation loop of `lowbit chat` and `lowbit generate -cnv`: reads
// a user line, answers it with the model's chat template, keeps the
// conversation within the context (drops the oldest turns, never the system
// prompt, and says so), announces an answer cut by a limit, and lets Ctrl-C
// end an answer without ending the session.
#pragma once

#include <string>

#include "model/gguf_model.hpp"
#include "model/session.hpp"

namespace lowbit::cli {

struct ChatSettings {
  GenerateOptions gen;
  std::string system;         // system message ("" = none)
  std::string template_name;  // "" = from the model
  bool color = false;         // the user's input in colour (when stdout is a terminal)
};

void run_chat(const LoadedModel& m, int64_t n_ctx, ChatSettings s);

// Why an answer stopped early, for the user ("" when it ended normally):
// "interrupted", "the context is full" or "the -n limit of N tokens".
std::string cut_reason(const GenerateResult& r, const GenerateOptions& gen, bool interrupted);

// ANSI colour for user text, if `on` and stdout is a terminal.
void user_color(bool on, bool enable);

}  // namespace lowbit::cli

#include "cli/chat_loop.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/console.hpp"
#include "cli/interrupt.hpp"
#include "core/error.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit::cli {

std::string cut_reason(const GenerateResult& r, const GenerateOptions& gen, bool interrupted) {
  if (interrupted || r.finish_reason == FinishReason::Cancelled) return "interrupted";
  if (r.finish_reason != FinishReason::Length) return "";
  if (r.context_full) return "the context is full";
  return fmt::format("the -n limit of {} tokens", gen.n_predict);
}

void user_color(bool on, bool enable) {
  static const bool tty = ::isatty(STDOUT_FILENO) == 1;
  if (!enable || !tty) return;
  std::fputs(on ? "\033[32m" : "\033[0m", stdout);
  std::fflush(stdout);
}

void run_chat(const LoadedModel& m, int64_t n_ctx, ChatSettings s) {
  const ChatTemplate tmpl = s.template_name.empty() ? detect_chat_template(m.tokenizer->chat_template())
                                                    : chat_template_from_name(s.template_name);
  log_info("lowbit: chat template {}; an empty line or EOF ends the chat, Ctrl-C an answer", chat_template_name(tmpl));
  Session session(*m.model, *m.tokenizer, n_ctx);
  std::vector<ChatMessage> messages;
  if (!s.system.empty()) messages.push_back({"system", s.system});
  // The next turn of the plain template ("User: ..."): the model would
  // otherwise write the user's lines too.
  if (tmpl == ChatTemplate::Plain) s.gen.stop.push_back("\nUser:");
  // Room kept for each answer when old turns must go.
  const int64_t reserve = s.gen.n_predict > 0 ? std::min<int64_t>(s.gen.n_predict, n_ctx / 2) : n_ctx / 2;
  InterruptHandler interrupt;
  std::string line;
  while (true) {
    // The prompt is written before Ctrl-C means "end the session": a
    // Ctrl-C that comes late for an answer must not end it half way.
    fmt::print(stderr, "> ");
    std::fflush(stderr);
    interrupt.generating(false);
    user_color(true, s.color);
    const bool got = bool(std::getline(std::cin, line));
    user_color(false, s.color);
    if (!got || line.empty() || interrupt.interrupted()) break;
    messages.push_back({"user", line});
    try {
      if (const size_t n = fit_chat_to_context(messages, tmpl, *m.tokenizer, n_ctx, reserve))
        log_info("lowbit: the context of {} tokens is full: dropped the {} oldest messages{}", n_ctx, n,
                 s.system.empty() ? "" : " (the system prompt stays)");
    } catch (const Error& e) {
      log_info("lowbit: {}; not sent", e.what());
      messages.pop_back();
      continue;
    }
    interrupt.generating(true);
    const GenerateResult r = session.generate(format_chat(tmpl, messages), s.gen, [&interrupt](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      return !interrupt.interrupted();
    });
    std::fputc('\n', stdout);
    std::fflush(stdout);
    messages.push_back({"assistant", r.text});
    const std::string cut = cut_reason(r, s.gen, interrupt.interrupted());
    log_info("[{} tokens, {:.1f} tok/s{}]", r.n_generated, double(r.n_generated) / std::max(r.decode_seconds, 1e-9),
             cut.empty() ? "" : "; answer cut: " + cut);
  }
}

}  // namespace lowbit::cli

// `lowbit chat`: an interactive conversation on stdin/stdout with the
// model's chat template; the KV cache carries over between turns (each turn
// only evaluates the new tokens). Empty line or EOF ends it.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/model_options.hpp"
#include "model/session.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit::cli {
namespace {

struct ChatArgs {
  ModelOptions model;
  GenerateOptions gen;
  std::string system;
  std::string template_name;
};

void run(ChatArgs a) {
  LoadedModel m = open_model(a.model);
  const ChatTemplate tmpl = a.template_name.empty() ? detect_chat_template(m.tokenizer->chat_template())
                                                    : chat_template_from_name(a.template_name);
  fmt::print(stderr, "lowbit: chat template {}; an empty line ends the chat\n", chat_template_name(tmpl));
  Session session(*m.model, *m.tokenizer, context_length(a.model, m));
  std::vector<ChatMessage> messages;
  if (!a.system.empty()) messages.push_back({"system", a.system});
  if (tmpl == ChatTemplate::Plain) a.gen.stop.push_back("\nuser:");
  std::string line;
  while (true) {
    fmt::print(stderr, "> ");
    if (!std::getline(std::cin, line) || line.empty()) break;
    messages.push_back({"user", line});
    const std::string prompt = format_chat(tmpl, messages);
    GenerateResult r = session.generate(prompt, a.gen, [](std::string_view s) {
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::fputc('\n', stdout);
    messages.push_back({"assistant", r.text});
    fmt::print(stderr, "[{} tokens, {:.1f} tok/s]\n", r.n_generated,
               double(r.n_generated) / std::max(r.decode_seconds, 1e-9));
  }
}

const CommandRegistrar reg(20, "chat", "interactive chat with the model's chat template", [](CLI::App& sub) {
  auto a = std::make_shared<ChatArgs>();
  add_model_options(sub, a->model);
  add_sampling_options(sub, a->gen.sampling);
  sub.add_option("-n,--n-predict", a->gen.n_predict, "tokens per answer at most")->check(CLI::Range(1, 1 << 20));
  sub.add_option("--system", a->system, "system message");
  sub.add_option("--template", a->template_name, "llama3, bitnet or plain (default: from the model)");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

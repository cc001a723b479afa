// `lowbit chat`: an interactive conversation on stdin/stdout with the
// model's chat template (cli/chat_loop.hpp); the KV cache carries over
// between turns (each turn only evaluates the new tokens). Empty line, EOF
// or Ctrl-C at the prompt ends it.
#include "cli/chat_loop.hpp"
#include "cli/model_options.hpp"

namespace lowbit::cli {
namespace {

struct ChatArgs {
  ModelOptions model;
  ChatSettings chat;
};

void run(const ChatArgs& a) {
  const LoadedModel m = open_model(a.model);
  log_sampling(a.chat.gen.sampling);
  run_chat(m, context_length(a.model, m), a.chat);
}

const CommandRegistrar reg(20, "chat", "interactive chat with the model's chat template", [](CLI::App& sub) {
  auto a = std::make_shared<ChatArgs>();
  add_model_options(sub, a->model);
  add_sampling_options(sub, a->chat.gen.sampling);
  sub.add_option("-n,--n-predict", a->chat.gen.n_predict, "tokens per answer at most")->check(in_range(1, 1 << 20));
  sub.add_option("--system", a->chat.system, "system message");
  sub.add_option("--template", a->chat.template_name, "llama3, bitnet or plain")->default_str("from the model");
  sub.add_flag("--ignore-eos", a->chat.gen.ignore_eos, "never stop at an end-of-generation token");
  sub.add_flag("--color", a->chat.color, "show your input in colour (when stdout is a terminal)");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

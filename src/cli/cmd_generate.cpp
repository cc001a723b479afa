// `lowbit generate`: text to stdout, streamed token by token; diagnostics
// and timings to stderr. The prompt comes from -p, -f FILE or -f - (stdin);
// with --system it goes through the chat template. -i hands the turn back
// to the user at a reverse prompt (-r) or the end of an answer; -cnv is
// `lowbit chat` (llama.cpp's conversation mode: -p is the system message).
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/chat_loop.hpp"
#include "cli/console.hpp"
#include "cli/interrupt.hpp"
#include "cli/model_options.hpp"
#include "cli/prompt_text.hpp"
#include "core/error.hpp"
#include "model/session.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit::cli {
namespace {

struct GenerateArgs {
  ModelOptions model;
  std::string prompt, file, system, template_name;
  std::vector<std::string> reverse_prompts;
  GenerateOptions gen;
  bool echo = false, escapes = false, interactive = false, conversation = false, color = false;
};

void write_out(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// The timings after the text; in -i only under --verbose, since the user's
// turn goes on the line the text ended.
void report(const GenerateResult& r, const GenerateOptions& gen, bool interrupted, bool interactive) {
  const std::string cut = cut_reason(r, gen, interrupted);
  if (!cut.empty() && r.finish_reason == FinishReason::Length) log_info("lowbit: generation cut: {}", cut);
  if (interactive && !verbose()) return;
  log_info("lowbit: prompt {} tokens in {:.3f} s ({:.1f} tok/s); generated {} tokens in {:.3f} s ({:.1f} tok/s); {}",
           r.n_prompt, r.prefill_seconds, double(r.n_prompt_evaluated) / std::max(r.prefill_seconds, 1e-9),
           r.n_generated, r.decode_seconds, double(r.n_generated) / std::max(r.decode_seconds, 1e-9),
           interrupted ? "interrupted" : finish_reason_name(r.finish_reason));
}

// The prompt as the options give it: -p or -f, escapes (-e), the chat
// template (--system).
std::string build_prompt(const GenerateArgs& a, const LoadedModel& m) {
  LOWBIT_CHECK(a.prompt.empty() || a.file.empty(), "give the prompt with -p or -f, not both");
  std::string prompt = a.file.empty() ? a.prompt : read_prompt_file(a.file);
  if (a.escapes) prompt = process_escapes(prompt);
  if (a.system.empty()) return prompt;
  const ChatTemplate tmpl = a.template_name.empty() ? detect_chat_template(m.tokenizer->chat_template())
                                                    : chat_template_from_name(a.template_name);
  const std::vector<ChatMessage> messages{{"system", a.system}, {"user", prompt}};
  return format_chat(tmpl, messages);
}

void run(GenerateArgs a) {
  const LoadedModel m = open_model(a.model);
  log_sampling(a.gen.sampling);
  const int64_t n_ctx = context_length(a.model, m);
  if (a.conversation) {
    ChatSettings chat{a.gen, a.system.empty() ? a.prompt : a.system, a.template_name, a.color};
    run_chat(m, n_ctx, std::move(chat));
    return;
  }
  std::string text = build_prompt(a, m);
  for (const std::string& r : a.reverse_prompts) a.gen.stop.push_back(r);
  Session session(*m.model, *m.tokenizer, n_ctx);
  if (a.echo) {
    user_color(true, a.color);
    write_out(text);
    user_color(false, a.color);
  }
  // Without -i one generation; with it, the user's line joins the text
  // after each answer, until EOF or Ctrl-C at the prompt.
  InterruptHandler interrupt;
  while (true) {
    interrupt.generating(true);
    const GenerateResult r = session.generate(text, a.gen, [&](std::string_view s) {
      write_out(s);
      return !(a.interactive && interrupt.interrupted());
    });
    const bool interrupted = interrupt.interrupted();
    text += r.text;
    const bool reversed = !r.stop_string.empty() && std::find(a.reverse_prompts.begin(), a.reverse_prompts.end(),
                                                              r.stop_string) != a.reverse_prompts.end();
    if (reversed) {  // the reverse prompt is the user's cue: show it
      write_out(r.stop_string);
      text += r.stop_string;
    }
    if (!a.interactive) {
      std::fputc('\n', stdout);
      report(r, a.gen, false, false);
      return;
    }
    report(r, a.gen, interrupted, true);
    if (!reversed) write_out("\n> ");
    interrupt.generating(false);  // from here Ctrl-C ends the session
    std::string line;
    user_color(true, a.color);
    const bool got = bool(std::getline(std::cin, line));
    user_color(false, a.color);
    if (!got || interrupt.interrupted()) break;
    text += (a.escapes ? process_escapes(line) : line) + "\n";
  }
  std::fputc('\n', stdout);
}

const CommandRegistrar reg(10, "generate", "generate text from a prompt (text to stdout)", [](CLI::App& sub) {
  auto a = std::make_shared<GenerateArgs>();
  add_model_options(sub, a->model);
  sub.add_option("-p,--prompt", a->prompt, "prompt text")->default_str("empty: start from BOS");
  sub.add_option("-f,--file", a->file, "read the prompt from a file (- = stdin)");
  sub.add_flag("-e,--escape", a->escapes, "process escapes in the prompt (\\n, \\t, \\\\, \\\", \\', \\xNN, ...)");
  sub.add_option("-n,--n-predict", a->gen.n_predict, "tokens to generate (-1 = until the context is full)")
      ->check(in_range(-1, 1 << 24));
  add_sampling_options(sub, a->gen.sampling);
  sub.add_option("--stop", a->gen.stop, "stop string, not printed (repeatable)");
  sub.add_option("-r,--reverse-prompt", a->reverse_prompts,
                 "stop at this text, printed (repeatable); with -i the user's turn follows");
  sub.add_flag("--ignore-eos", a->gen.ignore_eos, "never stop at an end-of-generation token");
  sub.add_flag("--echo", a->echo, "write the prompt before the generated text");
  sub.add_flag("-i,--interactive", a->interactive,
               "after each answer (or reverse prompt) read a line from stdin and go on; Ctrl-C ends an answer");
  sub.add_flag("--conversation", a->conversation,
               "(-cnv) conversation mode: lowbit chat, with -p (or --system) as the system message");
  sub.add_option("--system", a->system, "system message: -p becomes the user's message in the chat template");
  sub.add_option("--template", a->template_name, "chat template for --system / -cnv: llama3, bitnet or plain")
      ->default_str("from the model");
  sub.add_flag("--color", a->color, "show the prompt and your input in colour (when stdout is a terminal)");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

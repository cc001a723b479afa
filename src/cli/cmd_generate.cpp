// `lowbit generate`: text to stdout, streamed token by token; diagnostics
// and timings to stderr.
#include <cstdio>

#include <fmt/format.h>

#include "cli/model_options.hpp"
#include "model/session.hpp"

namespace lowbit::cli {
namespace {

struct GenerateArgs {
  ModelOptions model;
  std::string prompt;
  GenerateOptions gen;
  bool echo = false;
};

void run(const GenerateArgs& a) {
  LoadedModel m = open_model(a.model);
  Session session(*m.model, *m.tokenizer, context_length(a.model, m));
  if (a.echo) {
    std::fwrite(a.prompt.data(), 1, a.prompt.size(), stdout);
    std::fflush(stdout);
  }
  GenerateResult r = session.generate(a.prompt, a.gen, [](std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputc('\n', stdout);
  fmt::print(stderr, "lowbit: prompt {} tokens in {:.3f} s ({:.1f} tok/s); generated {} tokens in {:.3f} s ({:.1f} tok/s); {}\n",
             r.n_prompt, r.prefill_seconds, double(r.n_prompt_evaluated) / std::max(r.prefill_seconds, 1e-9),
             r.n_generated, r.decode_seconds, double(r.n_generated) / std::max(r.decode_seconds, 1e-9),
             finish_reason_name(r.finish_reason));
}

const CommandRegistrar reg(10, "generate", "generate text from a prompt (text to stdout)", [](CLI::App& sub) {
  auto a = std::make_shared<GenerateArgs>();
  add_model_options(sub, a->model);
  sub.add_option("-p,--prompt", a->prompt, "prompt text (default: empty, start from BOS)");
  sub.add_option("-n,--n-predict", a->gen.n_predict, "tokens to generate (-1 = until the context is full)")
      ->check(CLI::Range(-1, 1 << 24));
  add_sampling_options(sub, a->gen.sampling);
  sub.add_option("--stop", a->gen.stop, "stop string (repeatable)");
  sub.add_flag("--echo", a->echo, "write the prompt before the generated text");
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

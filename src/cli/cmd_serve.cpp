// `lowbit serve`: the OpenAI-compatible HTTP server (see docs/SERVER.md).
// SIGTERM/SIGINT stop accepting connections, let running requests finish
// for --shutdown-grace seconds, cancel what is left and exit 0.
#include <signal.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "cli/model_options.hpp"
#include "server/http_server.hpp"
#include "server/scheduler.hpp"

namespace lowbit::cli {
namespace {

struct ServeArgs {
  ModelOptions model;
  server::ServerOptions http;
  server::SchedulerOptions sched;
  std::string chat_template;  // empty: detect from the model
  double shutdown_grace = 10;
  bool ctx_per_slot_total = false;
  std::string model_id;  // empty: the file name
};

void run(ServeArgs a) {
  if (a.http.api_key.empty())
    if (const char* k = std::getenv("LOWBIT_API_KEY")) a.http.api_key = k;
  // Signals go to the waiting thread below only (block them before any
  // thread exists, so every thread inherits the mask).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hung up must not kill the server

  LoadedModel m = open_model(a.model);
  a.sched.slot_ctx = context_length(a.model, m);
  if (a.ctx_per_slot_total) a.sched.slot_ctx = std::max<int64_t>(2, a.sched.slot_ctx / a.sched.n_slots);
  a.http.chat_template = a.chat_template.empty() ? detect_chat_template(m.tokenizer->chat_template()) : chat_template_from_name(a.chat_template);
  a.http.model_id = a.model_id;
  if (a.http.model_id.empty())
    a.http.model_id = std::filesystem::path(a.model.model.empty() ? default_model_path() : a.model.model).stem();
  a.http.http_threads = a.sched.n_slots + int(a.sched.queue_capacity) + 4;

  server::Metrics metrics;
  server::Scheduler scheduler(*m.model, *m.tokenizer, a.sched, metrics);
  server::HttpServer http(scheduler, *m.tokenizer, metrics, a.http);
  const int port = http.bind();
  fmt::print(stderr, "lowbit: serving '{}' on http://{}:{} ({} slots x {} tokens, queue {}, template {}{})\n",
             a.http.model_id, a.http.host, port, a.sched.n_slots, a.sched.slot_ctx, a.sched.queue_capacity,
             chat_template_name(a.http.chat_template), a.http.api_key.empty() ? "" : ", API key required");
  std::fflush(stderr);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig == SIGUSR1) return;  // our own wake-up: listen() ended by itself
    fmt::print(stderr, "lowbit: signal {}: finishing running requests (up to {} s)\n", sig, a.shutdown_grace);
    // New requests get 503 from here on; running ones finish or are
    // cancelled; then their responses are written out, and only then does
    // the listener stop (stopping cpp-httplib cuts streams short).
    scheduler.shutdown(std::chrono::milliseconds(int64_t(a.shutdown_grace * 1000)));
    http.wait_idle(std::chrono::seconds(5));
    http.stop();
  });
  http.listen();
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  fmt::print(stderr, "lowbit: stopped\n");
}

const CommandRegistrar reg(30, "serve", "OpenAI-compatible HTTP server", [](CLI::App& sub) {
  auto a = std::make_shared<ServeArgs>();
  add_model_options(sub, a->model);
  sub.add_option("--host", a->http.host, "address to bind (default 127.0.0.1: this machine only)");
  sub.add_option("--port", a->http.port, "port (0: any free one, printed on stderr)")->check(CLI::Range(0, 65535));
  sub.add_option("--parallel", a->sched.n_slots, "slots: requests generated at once, batched (default 4)")
      ->check(CLI::Range(1, 256));
  sub.add_option("--queue", a->sched.queue_capacity, "requests that may wait for a slot; beyond: 503 (default 64)")
      ->check(CLI::Range(0, 100000));
  sub.add_flag("--ctx-split", a->ctx_per_slot_total, "divide -c among the slots (default: each slot gets -c)");
  sub.add_option("--api-key", a->http.api_key, "require 'Authorization: Bearer KEY' (or env LOWBIT_API_KEY)");
  sub.add_option("--max-body-bytes", a->http.max_body_bytes, "largest request body (default 1 MiB)")
      ->check(CLI::Range(size_t(64), size_t(1) << 30));
  sub.add_option("--max-tokens-limit", a->http.limits.max_tokens, "largest max_tokens a request may ask (default 4096)")
      ->check(CLI::Range(1, 1 << 24));
  sub.add_option("--model-id", a->model_id, "model name in the API (default: the file name without .gguf)");
  sub.add_option("--chat-template", a->chat_template, "llama3, bitnet or plain (default: from the model)");
  sub.add_option("--shutdown-grace", a->shutdown_grace, "seconds running requests get on SIGTERM (default 10)")
      ->check(CLI::Range(0.0, 3600.0));
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

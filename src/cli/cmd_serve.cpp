// `lowbit serve`: the OpenAI-compatible HTTP server (see docs/SERVER.md).
// SIGTERM/SIGINT make /health and new requests answer 503 "shutting down",
// let running requests finish for --shutdown-grace seconds, cancel what is
// left and exit 0.
#include <signal.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "cli/model_options.hpp"
#include "core/error.hpp"
#include "server/api_key.hpp"
#include "server/http_server.hpp"
#include "server/listen_address.hpp"
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
  std::string pooling = "mean";
  std::string api_key_file;
  bool insecure_no_key = false;
  double header_timeout = 10, body_timeout = 30, idle_timeout = 5;
};

// The key from --api-key-file, --api-key or LOWBIT_API_KEY (in that order);
// then refuses to serve a non-loopback address without one.
void resolve_api_key(ServeArgs& a) {
  if (!a.api_key_file.empty()) {
    a.http.api_key = server::read_api_key_file(a.api_key_file);
  } else if (!a.http.api_key.empty()) {
    server::scrub_from_command_line(a.http.api_key);
    fmt::print(stderr, "lowbit: warning: --api-key can be read by other users from the process list until "
                       "startup; prefer --api-key-file or LOWBIT_API_KEY\n");
  } else if (const char* k = std::getenv("LOWBIT_API_KEY")) {
    a.http.api_key = k;
  }
  if (a.http.api_key.empty() && !a.insecure_no_key && !server::is_loopback_host(a.http.host))
    throw Error(fmt::format("refusing to serve {} (reachable from other machines) without an API key: give "
                            "--api-key-file, LOWBIT_API_KEY or --api-key, or --insecure-no-key to serve anyone",
                            a.http.host));
}

void set_connection_limits(ServeArgs& a) {
  auto ms = [](double s) { return std::chrono::milliseconds(int64_t(s * 1000)); };
  a.http.http.header_timeout = ms(a.header_timeout);
  a.http.http.body_timeout = ms(a.body_timeout);
  a.http.http.idle_timeout = ms(a.idle_timeout);
  // Enough threads for every slot and queued request plus /health and
  // /metrics, which must stay answerable while all slots are busy.
  a.http.http.workers = int(std::min<size_t>(size_t(a.sched.n_slots) + a.sched.queue_capacity + 4, 1024));
}

void run(ServeArgs a) {
  resolve_api_key(a);
  set_connection_limits(a);
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
  a.http.model_path = a.model.model.empty() ? default_model_path() : a.model.model;
  a.sched.pooling = a.pooling == "last" ? server::Pooling::Last : server::Pooling::Mean;
  if (a.http.model_id.empty())
    a.http.model_id = std::filesystem::path(a.model.model.empty() ? default_model_path() : a.model.model).stem();

  server::Metrics metrics;
  server::Scheduler scheduler(*m.model, *m.tokenizer, a.sched, metrics);
  server::HttpServer http(scheduler, *m.tokenizer, metrics, a.http);
  const int port = http.bind();
  fmt::print(stderr, "lowbit: serving '{}' on {} ({} slots x {} tokens, queue {}, template {}{})\n",
             a.http.model_id, server::http_url(a.http.host, port), a.sched.n_slots, a.sched.slot_ctx,
             a.sched.queue_capacity, chat_template_name(a.http.chat_template),
             a.http.api_key.empty() ? "" : ", API key required");
  std::fflush(stderr);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig == SIGUSR1) return;  // our own wake-up: listen() ended by itself
    fmt::print(stderr, "lowbit: signal {}: finishing running requests (up to {} s)\n", sig, a.shutdown_grace);
    // /health and new requests get 503 "shutting down" from here on;
    // running ones finish or are cancelled; their responses are written
    // out, and only then does the listener stop.
    http.begin_shutdown();
    scheduler.shutdown(std::chrono::milliseconds(int64_t(a.shutdown_grace * 1000)));
    http.wait_idle(std::chrono::seconds(5));
    http.stop();
  });
  http.listen();
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  fmt::print(stderr, "lowbit: stopped\n");
}

void add_http_options(CLI::App& sub, ServeArgs& a) {
  sub.add_option("--host", a.http.host, "address to bind (default 127.0.0.1: this machine only)");
  sub.add_option("--port", a.http.port, "port (0: any free one, printed on stderr)")->check(CLI::Range(0, 65535));
  sub.add_option("--api-key", a.http.api_key, "require 'Authorization: Bearer KEY' (visible in ps: prefer the next two)");
  sub.add_option("--api-key-file", a.api_key_file, "read the API key from the first line of this file");
  sub.add_flag("--insecure-no-key", a.insecure_no_key, "allow a non-loopback --host without an API key");
  sub.add_option("--max-body-bytes", a.http.http.limits.max_body_bytes, "largest request body (default 1 MiB)")
      ->check(CLI::Range(size_t(64), size_t(1) << 30));
  sub.add_option("--max-connections", a.http.http.max_connections, "open connections at most (default 1024)")
      ->check(CLI::Range(size_t(4), size_t(1) << 20));
  sub.add_option("--header-timeout", a.header_timeout, "seconds a client has to send its headers (default 10)")
      ->check(CLI::Range(0.1, 3600.0));
  sub.add_option("--body-timeout", a.body_timeout, "seconds a client has to send its body (default 30)")
      ->check(CLI::Range(0.1, 3600.0));
  sub.add_option("--idle-timeout", a.idle_timeout, "seconds an idle keep-alive connection stays open (default 5)")
      ->check(CLI::Range(0.1, 3600.0));
  sub.add_option("--replica-name", a.http.replica_name, "label /metrics samples replica=\"NAME\" (behind a load balancer)")
      ->check([](const std::string& s) {
        return s.find_first_of("\"\\\n") == std::string::npos ? std::string() : std::string("no quotes or backslashes");
      });
  sub.add_flag("--access-log", a.http.access_log, "log each request on stderr when it arrives and when it is answered");
  sub.add_flag("!--no-slots", a.http.slots_endpoint, "turn GET /slots off (it shows every slot's request settings)");
}

const CommandRegistrar reg(30, "serve", "OpenAI-compatible HTTP server", [](CLI::App& sub) {
  auto a = std::make_shared<ServeArgs>();
  add_model_options(sub, a->model);
  add_http_options(sub, *a);
  sub.add_option("--parallel", a->sched.n_slots, "slots: requests generated at once, batched (default 4)")
      ->check(CLI::Range(1, 256));
  sub.add_option("--queue", a->sched.queue_capacity, "requests that may wait for a slot; beyond: 503 (default 64)")
      ->check(CLI::Range(0, 100000));
  sub.add_flag("--ctx-split", a->ctx_per_slot_total, "divide -c among the slots (default: each slot gets -c)");
  sub.add_option("--max-tokens-limit", a->http.limits.max_tokens, "largest max_tokens a request may ask (default 4096)")
      ->check(CLI::Range(1, 1 << 24));
  sub.add_option("--model-id", a->model_id, "model name in the API (default: the file name without .gguf)");
  sub.add_option("--chat-template", a->chat_template, "llama3, bitnet or plain (default: from the model)");
  sub.add_option("--pooling", a->pooling,
                 "how /v1/embeddings pools the final-norm hidden states: mean or last (default mean)")
      ->check(CLI::IsMember({"mean", "last"}));
  sub.add_option("--shutdown-grace", a->shutdown_grace, "seconds running requests get on SIGTERM (default 10)")
      ->check(CLI::Range(0.0, 3600.0));
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli

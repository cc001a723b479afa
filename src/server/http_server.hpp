// The HTTP face of the server (cpp-httplib): OpenAI's /v1/chat/completions,
// /v1/completions (JSON or server-sent events), /v1/models, plus /health
// and /metrics. Handler threads parse and check a request, tokenize it, hand
// it to the Scheduler (503 + Retry-After when its queue is full) and wait on
// the job's channel; a client that disconnects cancels its job.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "server/completion_request.hpp"
#include "server/metrics.hpp"
#include "server/scheduler.hpp"
#include "tokenizer/chat_template.hpp"
#include "tokenizer/tokenizer.hpp"

namespace httplib {
class Server;
}

namespace lowbit::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (see bind())
  std::string api_key;             // empty: no authentication
  size_t max_body_bytes = 1 << 20;
  RequestLimits limits;
  std::string model_id = "lowbit";
  ChatTemplate chat_template = ChatTemplate::Plain;
  int http_threads = 16;           // connections served at once
};

class HttpServer {
 public:
  HttpServer(Scheduler& scheduler, const Tokenizer& tok, Metrics& metrics, ServerOptions opt);
  ~HttpServer();

  // Binds the socket; returns the port. Throws lowbit::Error on failure.
  int bind();
  // Serves until stop(); returns after in-flight handlers have returned.
  void listen();
  // Stops accepting connections (callable from another thread). Responses
  // still streaming are cut, so call wait_idle() first.
  void stop();
  // Waits (up to `max`) until no completion response is being written.
  void wait_idle(std::chrono::milliseconds max);

 private:
  void routes();

  Scheduler& scheduler_;
  const Tokenizer& tok_;
  Metrics& metrics_;
  ServerOptions opt_;
  std::unique_ptr<httplib::Server> svr_;
  int64_t created_ = 0;
  std::shared_ptr<std::atomic<int>> active_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace lowbit::server

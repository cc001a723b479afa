// The HTTP face of the server: OpenAI's /v1/chat/completions,
// /v1/completions (JSON or server-sent events), /v1/models,
// /v1/embeddings; llama-server's /completion, /tokenize, /detokenize,
// /props and /slots; /health, /metrics and a chat page at /; served by
// HttpListener (our own HTTP/1.1 layer, see
// docs/SERVER.md). Worker threads check a request, tokenize it, hand it to
// the Scheduler (503 + Retry-After when its queue is full, or while the
// server drains) and wait on the job's channel; a client that goes away
// cancels its job.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/completion_request.hpp"
#include "server/http_listener.hpp"
#include "server/metrics.hpp"
#include "server/scheduler.hpp"
#include "tokenizer/chat_template.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::server {

class GenerationJob;
struct Reply;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (see bind())
  std::string api_key;             // empty: no authentication
  RequestLimits limits;
  std::string model_id = "lowbit";
  ChatTemplate chat_template = ChatTemplate::Plain;
  ListenerOptions http;            // connections, deadlines, header and body limits
  std::string replica_name;        // non-empty: /metrics samples get replica="<name>"
  bool access_log = false;         // a stderr line when a request arrives and when it is answered
  bool slots_endpoint = true;      // GET /slots (llama-server's --no-slots turns it off)
  std::string model_path;          // for /props
};

class HttpServer {
 public:
  HttpServer(Scheduler& scheduler, const Tokenizer& tok, Metrics& metrics, ServerOptions opt);
  ~HttpServer();

  // Binds the socket; returns the port. Throws lowbit::Error on failure.
  int bind();
  // Serves until stop(); returns after in-flight handlers have returned.
  void listen();
  // From now on /health and new completions answer 503 "shutting down"
  // (so a load balancer takes this replica out while it drains).
  void begin_shutdown() { draining_ = true; }
  // Stops accepting connections (callable from another thread). Responses
  // still streaming are cut, so call wait_idle() first.
  void stop();
  // Waits (up to `max`) until no completion response is being written.
  void wait_idle(std::chrono::milliseconds max);

 private:
  void dispatch(const HttpRequest& req, HttpResponder& res);
  void route(const HttpRequest& req, HttpResponder& res);
  bool authorized(const HttpRequest& req) const;
  void handle_health(HttpResponder& res);
  void handle_metrics(HttpResponder& res);
  void handle_models(const HttpRequest& req, HttpResponder& res);
  void handle_completion(const HttpRequest& req, HttpResponder& res, Endpoint endpoint);
  void handle_native_completion(const HttpRequest& req, HttpResponder& res);
  void handle_tokenize(const HttpRequest& req, HttpResponder& res);
  void handle_detokenize(const HttpRequest& req, HttpResponder& res);
  void handle_props(HttpResponder& res);
  void handle_slots(HttpResponder& res);
  void handle_embeddings(const HttpRequest& req, HttpResponder& res);
  std::shared_ptr<GenerationJob> make_job(const HttpRequest& req, Endpoint endpoint, CompletionRequest& cr);
  std::vector<int32_t> prompt_tokens(const CompletionRequest& cr) const;
  // Waits for a job that streams nothing (cancelling it if the client goes away).
  std::string wait_whole(GenerationJob& job, HttpResponder& res);
  void submit(const std::shared_ptr<GenerationJob>& job);
  void stream_reply(GenerationJob& job, const Reply& reply, HttpResponder& res);
  void whole_reply(GenerationJob& job, const Reply& reply, HttpResponder& res);
  void stream_native(GenerationJob& job, const nlohmann::json& settings, HttpResponder& res);

  Scheduler& scheduler_;
  const Tokenizer& tok_;
  Metrics& metrics_;
  ServerOptions opt_;
  std::unique_ptr<HttpListener> listener_;
  int64_t created_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<int> active_{0};
};

}  // namespace lowbit::server

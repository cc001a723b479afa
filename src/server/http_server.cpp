#include "server/http_server.hpp"

#include <ctime>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "server/api_error.hpp"
#include "server/api_key.hpp"
#include "server/completion_reply.hpp"
#include "server/metrics_label.hpp"

namespace lowbit::server {

using nlohmann::json;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

void send_error(HttpResponder& res, const ApiError& e) {
  if (e.status == 503) res.header("Retry-After", "1");
  res.send(e.status, "application/json", dump_json(e.to_json()));
}

ApiError shutting_down() {
  return ApiError(503, "The server is shutting down. Retry on another replica.", "server_error", "",
                  "shutting_down");
}

std::string new_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t base = std::random_device{}();
  return fmt::format("{}-{:x}{:06x}", prefix, base & 0xffffff, ++counter);
}

uint64_t random_seed() {
  static std::mutex mu;
  static std::mt19937_64 gen(std::random_device{}());
  std::lock_guard lock(mu);
  return gen();
}

std::string endpoint_label(const std::string& path) {
  for (const char* p : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"})
    if (path.rfind(p, 0) == 0) return p;
  return "other";
}

// Counts a completion response as in flight until it is written.
struct ActiveGuard {
  explicit ActiveGuard(std::atomic<int>& n) : n_(n) { ++n_; }
  ~ActiveGuard() { --n_; }
  std::atomic<int>& n_;
};

}  // namespace

HttpServer::HttpServer(Scheduler& scheduler, const Tokenizer& tok, Metrics& metrics, ServerOptions opt)
    : scheduler_(scheduler), tok_(tok), metrics_(metrics), opt_(std::move(opt)),
      created_(int64_t(std::time(nullptr))) {
  listener_ = std::make_unique<HttpListener>(
      opt_.http, [this](const HttpRequest& req, HttpResponder& res) { dispatch(req, res); },
      [this](int status, const std::string& message) {
        metrics_.count_request("other", status);
        return dump_json(ApiError(status, message, "invalid_request_error").to_json());
      });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() { return listener_->bind(opt_.host, opt_.port); }

void HttpServer::listen() { listener_->run(); }

void HttpServer::stop() { listener_->stop(); }

void HttpServer::wait_idle(std::chrono::milliseconds max) {
  const auto end = std::chrono::steady_clock::now() + max;
  while (active_ > 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(kPoll / 5);
}

void HttpServer::dispatch(const HttpRequest& req, HttpResponder& res) {
  const auto start = std::chrono::steady_clock::now();
  const std::string* request_id = req.header("x-request-id");
  const std::string id = request_id ? request_id->substr(0, 64) : "-";
  // Two lines, so a request that was received but never answered (the
  // process died) shows too.
  if (opt_.access_log) fmt::print(stderr, "lowbit: recv {} {} {}\n", id, req.method, req.path.substr(0, 256));
  if (draining_) res.close_after();  // let clients reconnect elsewhere
  try {
    route(req, res);
  } catch (const ApiError& e) {
    if (!res.started()) send_error(res, e);
  } catch (const std::exception& e) {
    if (!res.started()) send_error(res, ApiError(500, e.what(), "server_error"));
  }
  metrics_.count_request(endpoint_label(req.path), res.status());
  if (opt_.access_log)
    fmt::print(stderr, "lowbit: done {} {} {:.3f}s\n", id, res.status(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

bool HttpServer::authorized(const HttpRequest& req) const {
  return opt_.api_key.empty() || req.path == "/health" || bearer_matches(req.header("authorization"), opt_.api_key);
}

void HttpServer::route(const HttpRequest& req, HttpResponder& res) {
  const bool get = req.method == "GET", post = req.method == "POST";
  if (!authorized(req))
    throw ApiError(401, "Incorrect API key provided.", "invalid_request_error", "", "invalid_api_key");
  if (get && req.path == "/health") return handle_health(res);
  if (get && req.path == "/metrics") return handle_metrics(res);
  if (get && req.path.rfind("/v1/models", 0) == 0) return handle_models(req, res);
  if (post && req.path == "/v1/chat/completions") return handle_completion(req, res, Endpoint::Chat);
  if (post && req.path == "/v1/completions") return handle_completion(req, res, Endpoint::Completion);
  throw ApiError(404, fmt::format("Unknown request URL: {} {}", req.method, req.path));
}

void HttpServer::handle_health(HttpResponder& res) {
  if (draining_) {
    res.header("Retry-After", "1");
    return (void)res.send(503, "application/json", R"({"status":"shutting down"})");
  }
  res.send(200, "application/json", R"({"status":"ok"})");
}

void HttpServer::handle_metrics(HttpResponder& res) {
  const std::string text = metrics_.render();
  res.send(200, "text/plain; version=0.0.4",
           opt_.replica_name.empty() ? text : with_label(text, "replica", opt_.replica_name));
}

void HttpServer::handle_models(const HttpRequest& req, HttpResponder& res) {
  const json model = {{"id", opt_.model_id}, {"object", "model"}, {"created", created_}, {"owned_by", "lowbit"}};
  if (req.path == "/v1/models")
    return (void)res.send(200, "application/json", dump_json({{"object", "list"}, {"data", json::array({model})}}));
  const std::string prefix = "/v1/models/";
  if (req.path.rfind(prefix, 0) != 0 || req.path.size() == prefix.size())
    throw ApiError(404, fmt::format("Unknown request URL: {} {}", req.method, req.path));
  const std::string id = req.path.substr(prefix.size());
  if (id != opt_.model_id)
    throw ApiError(404, fmt::format("The model '{}' does not exist", id), "invalid_request_error", "model",
                   "model_not_found");
  res.send(200, "application/json", dump_json(model));
}

std::shared_ptr<GenerationJob> HttpServer::make_job(const HttpRequest& req, Endpoint endpoint, CompletionRequest& cr) {
  cr = parse_completion_request(req.body, endpoint, opt_.limits);
  if (!cr.model.empty() && cr.model != opt_.model_id)
    throw ApiError(404, fmt::format("The model '{}' does not exist", cr.model), "invalid_request_error", "model",
                   "model_not_found");
  // Completion prompts are user text: special-token names in it stay text.
  const bool chat = endpoint == Endpoint::Chat;
  auto job = std::make_shared<GenerationJob>();
  try {
    const std::string text = chat ? format_chat(opt_.chat_template, cr.messages) : cr.prompt;
    job->prompt = tok_.encode(text, tok_.add_bos(), /*parse_special=*/chat);
  } catch (const Error& e) {  // from tokenizing or formatting this request's text
    throw ApiError(400, e.what(), "invalid_request_error");
  }
  if (job->prompt.empty()) throw ApiError(400, "the prompt is empty", "invalid_request_error", "prompt");
  if (int64_t(job->prompt.size()) >= scheduler_.slot_ctx())
    throw ApiError(400,
                   fmt::format("This model's context per request is {} tokens; the prompt has {}.",
                               scheduler_.slot_ctx(), job->prompt.size()),
                   "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded");
  job->max_tokens = cr.max_tokens;
  job->sampling = cr.sampling;
  if (!cr.has_seed) job->sampling.seed = random_seed();
  job->stop = cr.stop;
  return job;
}

void HttpServer::submit(const std::shared_ptr<GenerationJob>& job) {
  if (draining_) throw shutting_down();
  if (scheduler_.submit(job)) return;
  ++metrics_.rejected;
  if (draining_) throw shutting_down();  // the scheduler refused because it stopped
  throw ApiError(503, "The server is busy: too many requests are queued. Retry later.", "server_error", "",
                 "overloaded");
}

void HttpServer::handle_completion(const HttpRequest& req, HttpResponder& res, Endpoint endpoint) {
  CompletionRequest cr;
  const std::shared_ptr<GenerationJob> job = make_job(req, endpoint, cr);
  submit(job);
  ActiveGuard active(active_);
  const bool chat = endpoint == Endpoint::Chat;
  const Reply reply{endpoint, new_id(chat ? "chatcmpl" : "cmpl"), opt_.model_id, int64_t(std::time(nullptr)),
                    cr.include_usage};
  if (cr.stream) stream_reply(*job, reply, res);
  else whole_reply(*job, reply, res);
}

void HttpServer::stream_reply(GenerationJob& job, const Reply& reply, HttpResponder& res) {
  res.header("Cache-Control", "no-cache");
  res.header("X-Accel-Buffering", "no");  // proxies: pass events through as they come
  bool ok = res.start_stream(200, "text/event-stream");
  if (ok && reply.endpoint == Endpoint::Chat) ok = res.write(reply.role_chunk());
  std::string text;
  bool done = false;
  while (ok && !done) {
    done = job.wait(text, kPoll);
    if (!text.empty()) ok = res.write(reply.chunk(text));
    text.clear();
    if (!done && res.peer_gone()) ok = false;
  }
  if (!ok) {
    job.cancelled = true;
    return;
  }
  const JobOutcome o = job.outcome();
  if (o.finish_reason == "error" || o.finish_reason == "cancelled") {
    const ApiError e(o.finish_reason == "error" ? 500 : 503,
                     o.error.empty() ? "the request was cancelled" : o.error, "server_error");
    ok = res.write(reply.event(e.to_json()));
  } else {
    ok = res.write(reply.chunk("", o.finish_reason));
    if (ok && reply.include_usage) ok = res.write(reply.usage_chunk(o));
  }
  if (ok && res.write("data: [DONE]\n\n")) res.end();
}

void HttpServer::whole_reply(GenerationJob& job, const Reply& reply, HttpResponder& res) {
  std::string generated;
  while (!job.wait(generated, kPoll))
    if (res.peer_gone()) job.cancelled = true;
  const JobOutcome o = job.outcome();
  if (o.finish_reason == "error") throw ApiError(500, o.error, "server_error");
  if (o.finish_reason == "cancelled")
    throw ApiError(503, o.error.empty() ? "the request was cancelled" : o.error, "server_error");
  res.send(200, "application/json", dump_json(reply.whole(generated, o)));
}

}  // namespace lowbit::server

#include "server/http_server.hpp"

#include <httplib.h>

#include <atomic>
#include <ctime>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "server/api_error.hpp"
#include "server/peer_watch.hpp"

namespace lowbit::server {

using nlohmann::json;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

// Generated text may hold invalid UTF-8 (a model can emit any byte token);
// it is replaced rather than failing the response.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(dump(e.to_json()), "application/json");
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

json usage_json(const JobOutcome& o) {
  return {{"prompt_tokens", o.n_prompt}, {"completion_tokens", o.n_generated},
          {"total_tokens", o.n_prompt + o.n_generated}};
}

// What a response needs to know about its request.
struct Reply {
  Endpoint endpoint;
  std::string id, model;
  int64_t created;
  bool include_usage;

  json choice(const std::string& text, const json& finish_reason, bool chunk) const {
    json c = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}};
    if (endpoint == Endpoint::Completion) c["text"] = text;
    else if (chunk) c["delta"] = text.empty() && !finish_reason.is_null() ? json::object() : json{{"content", text}};
    else c["message"] = {{"role", "assistant"}, {"content", text}};
    return c;
  }
  json envelope(bool chunk) const {
    const char* object = endpoint == Endpoint::Completion ? "text_completion"
                         : chunk                          ? "chat.completion.chunk"
                                                          : "chat.completion";
    return {{"id", id}, {"object", object}, {"created", created}, {"model", model}, {"system_fingerprint", nullptr}};
  }
  std::string event(const json& j) const { return "data: " + dump(j) + "\n\n"; }
  std::string chunk(const std::string& text, const json& finish_reason = nullptr) const {
    json j = envelope(true);
    j["choices"] = json::array({choice(text, finish_reason, true)});
    return event(j);
  }
};

}  // namespace

HttpServer::HttpServer(Scheduler& scheduler, const Tokenizer& tok, Metrics& metrics, ServerOptions opt)
    : scheduler_(scheduler), tok_(tok), metrics_(metrics), opt_(std::move(opt)), svr_(std::make_unique<httplib::Server>()),
      created_(int64_t(std::time(nullptr))) {
  const size_t threads = size_t(std::max(opt_.http_threads, 2));
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr_->set_payload_max_length(opt_.max_body_bytes);
  svr_->set_keep_alive_timeout(2);
  svr_->set_read_timeout(30);
  routes();
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  int port = opt_.port;
  if (port == 0) {
    port = svr_->bind_to_any_port(opt_.host);
    LOWBIT_CHECK(port > 0, "cannot bind {} to a free port", opt_.host);
  } else {
    LOWBIT_CHECK(svr_->bind_to_port(opt_.host, port), "cannot bind {}:{} (in use, or not an address here?)",
                 opt_.host, port);
  }
  return port;
}

void HttpServer::listen() { svr_->listen_after_bind(); }

void HttpServer::stop() { svr_->stop(); }

void HttpServer::wait_idle(std::chrono::milliseconds max) {
  const auto end = std::chrono::steady_clock::now() + max;
  while (*active_ > 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(kPoll / 5);
}

void HttpServer::routes() {
  svr_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (opt_.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    if (constant_time_equal(req.get_header_value("Authorization"), "Bearer " + opt_.api_key))
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "Incorrect API key provided.", "invalid_request_error", "", "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });
  svr_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return;
    const std::string msg = res.status == 404   ? fmt::format("Unknown request URL: {} {}", req.method, req.path)
                            : res.status == 413 ? std::string("The request body is too large.")
                                                : fmt::format("HTTP error {}", res.status);
    send_error(res, ApiError(res.status, msg, "invalid_request_error"));
  });
  svr_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string msg = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      msg = e.what();
    } catch (...) {
    }
    send_error(res, ApiError(500, msg, "server_error"));
  });
  svr_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics_.count_request(endpoint_label(req.path), res.status);
  });

  svr_->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  svr_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
  auto model_json = [this] {
    return json{{"id", opt_.model_id}, {"object", "model"}, {"created", created_}, {"owned_by", "lowbit"}};
  };
  svr_->Get("/v1/models", [model_json](const httplib::Request&, httplib::Response& res) {
    res.set_content(dump({{"object", "list"}, {"data", json::array({model_json()})}}), "application/json");
  });
  svr_->Get(R"(/v1/models/(.+))", [this, model_json](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != opt_.model_id)
      return send_error(res, ApiError(404, fmt::format("The model '{}' does not exist", std::string(req.matches[1])),
                                      "invalid_request_error", "model", "model_not_found"));
    res.set_content(dump(model_json()), "application/json");
  });

  auto completion = [this](Endpoint endpoint) {
    return [this, endpoint](const httplib::Request& req, httplib::Response& res) {
      try {
        CompletionRequest cr = parse_completion_request(req.body, endpoint, opt_.limits);
        if (!cr.model.empty() && cr.model != opt_.model_id)
          throw ApiError(404, fmt::format("The model '{}' does not exist", cr.model), "invalid_request_error",
                         "model", "model_not_found");
        // Completion prompts are user text: special-token names in it stay text.
        const bool chat = endpoint == Endpoint::Chat;
        const std::string text = chat ? format_chat(opt_.chat_template, cr.messages) : cr.prompt;
        auto job = std::make_shared<GenerationJob>();
        job->prompt = tok_.encode(text, tok_.add_bos(), /*parse_special=*/chat);
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
        if (!scheduler_.submit(job)) {
          ++metrics_.rejected;
          res.set_header("Retry-After", "1");
          throw ApiError(503, "The server is busy: too many requests are queued. Retry later.", "server_error", "",
                         "overloaded");
        }
        // Counted until the response is written (for a stream: released).
        ++*active_;
        std::shared_ptr<void> active_guard(nullptr, [active = active_](void*) { --*active; });
        const int fd = find_connection_fd(req.local_port, req.remote_addr, req.remote_port);
        const Reply reply{endpoint, new_id(chat ? "chatcmpl" : "cmpl"), opt_.model_id, int64_t(std::time(nullptr)),
                          cr.include_usage};
        if (cr.stream) {
          auto sent_role = std::make_shared<bool>(!chat);
          res.set_header("Cache-Control", "no-cache");
          res.set_chunked_content_provider(
              "text/event-stream",
              [job, fd, reply, sent_role](size_t, httplib::DataSink& sink) {
                auto write = [&](const std::string& s) {
                  if (sink.write(s.data(), s.size())) return true;
                  job->cancelled = true;
                  return false;
                };
                if (!*sent_role) {
                  *sent_role = true;
                  json j = reply.envelope(true);
                  j["choices"] = json::array(
                      {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                        {"finish_reason", nullptr}}});
                  return write(reply.event(j));
                }
                std::string text;
                const bool done = job->wait(text, kPoll);
                if (!text.empty() && !write(reply.chunk(text))) return false;
                if (!done) {
                  if (peer_closed(fd)) {
                    job->cancelled = true;
                    return false;
                  }
                  return true;
                }
                const JobOutcome o = job->outcome();
                if (o.finish_reason == "error" || o.finish_reason == "cancelled") {
                  const ApiError e(o.finish_reason == "error" ? 500 : 503,
                                   o.error.empty() ? "the request was cancelled" : o.error, "server_error");
                  if (!write(reply.event(e.to_json()))) return false;
                } else {
                  if (!write(reply.chunk("", o.finish_reason))) return false;
                  if (reply.include_usage) {
                    json u = reply.envelope(true);
                    u["choices"] = json::array();
                    u["usage"] = usage_json(o);
                    if (!write(reply.event(u))) return false;
                  }
                }
                if (!write("data: [DONE]\n\n")) return false;
                sink.done();
                return true;
              },
              [job, active_guard](bool success) {
                if (!success) job->cancelled = true;
              });
          return;
        }
        std::string generated;
        while (!job->wait(generated, kPoll))
          if (peer_closed(fd)) job->cancelled = true;
        const JobOutcome o = job->outcome();
        if (o.finish_reason == "error") throw ApiError(500, o.error, "server_error");
        if (o.finish_reason == "cancelled")
          throw ApiError(503, o.error.empty() ? "the request was cancelled" : o.error, "server_error");
        json j = reply.envelope(false);
        j["choices"] = json::array({reply.choice(generated, o.finish_reason, false)});
        j["usage"] = usage_json(o);
        res.set_content(dump(j), "application/json");
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const Error& e) {  // from tokenizing or formatting this request's text
        send_error(res, ApiError(400, e.what(), "invalid_request_error"));
      } catch (const std::exception& e) {
        send_error(res, ApiError(500, e.what(), "server_error"));
      }
    };
  };
  svr_->Post("/v1/chat/completions", completion(Endpoint::Chat));
  svr_->Post("/v1/completions", completion(Endpoint::Completion));
}

}  // namespace lowbit::server

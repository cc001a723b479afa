#include "server/http_server.hpp"

#include <bit>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "grammar/grammar.hpp"
#include "server/api_error.hpp"
#include "server/api_key.hpp"
#include "server/chat_page.hpp"
#include "server/completion_reply.hpp"
#include "server/metrics_label.hpp"
#include "server/native_reply.hpp"
#include "tokenizer/utf8.hpp"

namespace lowbit::server {

using nlohmann::json;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

void send_error(HttpResponder& res, const ApiError& e) {
  if (e.status == 503) res.header("Retry-After", "1");
  res.send(e.status, "application/json", dump_json(e.to_json()));
}

ApiError shutting_down() {
  return ApiError(503, "The server is shutting down. Retry on another replica.", "server_error", "", "shutting_down");
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
  for (const char* p : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/embeddings", "/health",
                        "/metrics", "/completion", "/tokenize", "/detokenize", "/props", "/slots"})
    if (path.rfind(p, 0) == 0) return p;
  return path == "/" ? "/" : "other";
}

// Counts a completion response as in flight until it is written.
struct ActiveGuard {
  explicit ActiveGuard(std::atomic<int>& n) : n_(n) { ++n_; }
  ~ActiveGuard() { --n_; }
  std::atomic<int>& n_;
};

}  // namespace

HttpServer::HttpServer(Scheduler& scheduler, const Tokenizer& tok, Metrics& metrics, ServerOptions opt)
    : scheduler_(scheduler), tok_(tok), metrics_(metrics), opt_(std::move(opt)), created_(int64_t(std::time(nullptr))) {
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
  // The chat page holds no data (it asks for the key itself), as /health.
  return opt_.api_key.empty() || req.path == "/health" || (req.method == "GET" && req.path == "/") ||
         bearer_matches(req.header("authorization"), opt_.api_key);
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
  if (post && (req.path == "/v1/embeddings" || req.path == "/embeddings")) return handle_embeddings(req, res);
  if (post && (req.path == "/completion" || req.path == "/completions")) return handle_native_completion(req, res);
  if (post && req.path == "/tokenize") return handle_tokenize(req, res);
  if (post && req.path == "/detokenize") return handle_detokenize(req, res);
  if (get && req.path == "/props") return handle_props(res);
  if (get && req.path == "/slots") return handle_slots(res);
  if (get && (req.path == "/" || req.path == "/index.html"))
    return (void)res.send(200, "text/html; charset=utf-8", kChatPage);
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
    job->prompt =
        chat ? tok_.encode(format_chat(opt_.chat_template, cr.messages), tok_.add_bos(), true) : prompt_tokens(cr);
  } catch (const Error& e) {  // from tokenizing or formatting this request's text
    throw ApiError(400, e.what(), "invalid_request_error");
  }
  if (!cr.grammar.empty()) {
    try {
      job->grammar = std::make_shared<const grammar::CompiledGrammar>(grammar::parse_gbnf(cr.grammar));
      grammar::Matcher check(job->grammar);  // the start state must be reachable within the limits
    } catch (const Error& e) {
      throw ApiError(400, e.what(), "invalid_request_error", cr.grammar_param);
    }
  }
  job->ignore_eos = cr.ignore_eos;
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

std::vector<int32_t> HttpServer::prompt_tokens(const CompletionRequest& cr) const {
  if (cr.prompt_pieces.empty()) return tok_.encode(cr.prompt, tok_.add_bos());
  // Token ids as given (no BOS added before them, as llama-server); text
  // pieces tokenized, the first one with BOS when it opens the prompt.
  std::vector<int32_t> ids;
  for (size_t i = 0; i < cr.prompt_pieces.size(); ++i) {
    const PromptPiece& p = cr.prompt_pieces[i];
    if (p.token < 0) {
      const auto t = tok_.encode(p.text, i == 0 && tok_.add_bos());
      ids.insert(ids.end(), t.begin(), t.end());
    } else if (p.token >= tok_.n_vocab()) {
      throw ApiError(
          400, fmt::format("'prompt[{}]': token id {} is outside the vocabulary of {}", i, p.token, tok_.n_vocab()),
          "invalid_request_error", fmt::format("prompt[{}]", i));
    } else {
      ids.push_back(p.token);
    }
  }
  return ids;
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

namespace {

// The start of an SSE reply: no caching, and proxies told to pass events
// through as they come.
bool start_event_stream(HttpResponder& res) {
  res.header("Cache-Control", "no-cache");
  res.header("X-Accel-Buffering", "no");
  return res.start_stream(200, "text/event-stream");
}

// Writes each piece of the job's text as it comes through write(piece);
// false, with the job cancelled, once a write failed or the client left.
template <class Write>
bool relay_text(GenerationJob& job, HttpResponder& res, bool ok, Write write) {
  std::string text;
  bool done = false;
  while (ok && !done) {
    done = job.wait(text, kPoll);
    if (!text.empty()) ok = write(text);
    text.clear();
    if (!done && res.peer_gone()) ok = false;
  }
  if (!ok) job.cancelled = true;
  return ok;
}

// The error a failed (500) or cancelled (503) job reports, in a stream's
// last event or as a whole reply; nothing for a job that finished.
std::optional<ApiError> failure_of(const JobOutcome& o) {
  if (o.finish_reason == "error") return ApiError(500, o.error, "server_error");
  if (o.finish_reason == "cancelled")
    return ApiError(503, o.error.empty() ? "the request was cancelled" : o.error, "server_error");
  return std::nullopt;
}

}  // namespace

void HttpServer::stream_reply(GenerationJob& job, const Reply& reply, HttpResponder& res) {
  bool ok = start_event_stream(res);
  if (ok && reply.endpoint == Endpoint::Chat) ok = res.write(reply.role_chunk());
  if (!relay_text(job, res, ok, [&](const std::string& t) { return res.write(reply.chunk(t)); })) return;
  const JobOutcome o = job.outcome();
  if (const std::optional<ApiError> e = failure_of(o)) {
    ok = res.write(reply.event(e->to_json()));
  } else {
    ok = res.write(reply.chunk("", o.finish_reason));
    if (ok && reply.include_usage) ok = res.write(reply.usage_chunk(o));
  }
  if (ok && res.write("data: [DONE]\n\n")) res.end();
}

std::string HttpServer::wait_whole(GenerationJob& job, HttpResponder& res) {
  std::string generated;
  while (!job.wait(generated, kPoll))
    if (res.peer_gone()) job.cancelled = true;
  if (const std::optional<ApiError> e = failure_of(job.outcome())) throw *e;
  return generated;
}

void HttpServer::whole_reply(GenerationJob& job, const Reply& reply, HttpResponder& res) {
  const std::string generated = wait_whole(job, res);
  res.send(200, "application/json", dump_json(reply.whole(generated, job.outcome())));
}

void HttpServer::handle_native_completion(const HttpRequest& req, HttpResponder& res) {
  CompletionRequest cr;
  const std::shared_ptr<GenerationJob> job = make_job(req, Endpoint::Native, cr);
  submit(job);
  ActiveGuard active(active_);
  const json settings =
      generation_settings_json(job->sampling, job->max_tokens, job->stop, job->ignore_eos, cr.grammar);
  if (cr.stream) return stream_native(*job, settings, res);
  const std::string generated = wait_whole(*job, res);
  res.send(200, "application/json", dump_json(native_final(generated, job->outcome(), opt_.model_id, settings)));
}

// llama-server's stream: one event per piece of text, the last one with
// "stop": true and the totals; no [DONE] line.
void HttpServer::stream_native(GenerationJob& job, const json& settings, HttpResponder& res) {
  auto event = [](const json& j) { return "data: " + dump_json(j) + "\n\n"; };
  bool ok = relay_text(job, res, start_event_stream(res),
                       [&](const std::string& t) { return res.write(event(native_chunk(t))); });
  if (!ok) return;
  const JobOutcome o = job.outcome();
  if (const std::optional<ApiError> e = failure_of(o)) {
    ok = res.write(event(e->to_json()));
  } else {
    ok = res.write(event(native_final("", o, opt_.model_id, settings)));
  }
  if (ok) res.end();
}

namespace {

json parse_body(const std::string& body, int max_depth) {
  if (json_nesting_depth(body) > max_depth)
    throw ApiError(400, fmt::format("the request body nests deeper than {} levels", max_depth));
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw ApiError(400, "the request body is not valid JSON");
  if (!doc.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return doc;
}

bool bool_field(const json& doc, const char* key, bool dflt) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) throw ApiError(400, fmt::format("'{}' must be a boolean", key), "invalid_request_error", key);
  return it->get<bool>();
}

// Standard base64 (with padding) of the floats' little-endian bytes.
std::string base64_floats(const std::vector<float>& v) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static_assert(std::endian::native == std::endian::little, "embeddings are sent as little-endian float32");
  const auto* b = reinterpret_cast<const unsigned char*>(v.data());
  const size_t n = v.size() * sizeof(float);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t x = uint32_t(b[i]) << 16 | (i + 1 < n ? uint32_t(b[i + 1]) << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
    out += kAlphabet[(x >> 18) & 63];
    out += kAlphabet[(x >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(x >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[x & 63] : '=';
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  uint32_t cp = 0;
  for (size_t i = 0; i < s.size();)
    if (!utf8_next(s, i, cp)) return false;
  return true;
}

}  // namespace

void HttpServer::handle_tokenize(const HttpRequest& req, HttpResponder& res) {
  const json doc = parse_body(req.body, opt_.limits.max_json_depth);
  auto content = doc.find("content");
  if (content == doc.end() || !content->is_string())
    throw ApiError(400, "'content' must be a string", "invalid_request_error", "content");
  const bool add_special = bool_field(doc, "add_special", false);
  const bool parse_special = bool_field(doc, "parse_special", true);
  const bool with_pieces = bool_field(doc, "with_pieces", false);
  const std::vector<int32_t> ids =
      tok_.encode(content->get_ref<const std::string&>(), add_special && tok_.add_bos(), parse_special);
  json tokens = json::array();
  for (int32_t id : ids) {
    if (!with_pieces) {
      tokens.push_back(id);
      continue;
    }
    // A piece that is not whole UTF-8 goes as its bytes (llama-server's shape).
    const std::string_view piece = tok_.token_bytes(id);
    json p = valid_utf8(piece) ? json(std::string(piece)) : json(std::vector<uint8_t>(piece.begin(), piece.end()));
    tokens.push_back({{"id", id}, {"piece", std::move(p)}});
  }
  res.send(200, "application/json", dump_json({{"tokens", std::move(tokens)}}));
}

void HttpServer::handle_detokenize(const HttpRequest& req, HttpResponder& res) {
  const json doc = parse_body(req.body, opt_.limits.max_json_depth);
  auto tokens = doc.find("tokens");
  if (tokens == doc.end() || !tokens->is_array())
    throw ApiError(400, "'tokens' must be an array of token ids", "invalid_request_error", "tokens");
  std::vector<int32_t> ids;
  for (size_t i = 0; i < tokens->size(); ++i) {
    const json& t = (*tokens)[i];
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= tok_.n_vocab())
      throw ApiError(400, fmt::format("'tokens[{}]' must be a token id below {}", i, tok_.n_vocab()),
                     "invalid_request_error", fmt::format("tokens[{}]", i));
    ids.push_back(int32_t(t.get<int64_t>()));
  }
  res.send(200, "application/json", dump_json({{"content", tok_.decode(ids)}}));
}

void HttpServer::handle_props(HttpResponder& res) {
  // The defaults a /completion request gets.
  const CompletionRequest d = parse_completion_request(R"({"prompt":""})", Endpoint::Native, opt_.limits);
  const json settings = {
      {"id", 0},
      {"id_task", -1},
      {"n_ctx", scheduler_.slot_ctx()},
      {"speculative", false},
      {"is_processing", false},
      {"params", generation_settings_json(d.sampling, -1, {}, false, "")},
      {"prompt", ""},
      {"next_token",
       {{"has_next_token", true}, {"has_new_line", false}, {"n_remain", -1}, {"n_decoded", 0}, {"stopping_word", ""}}}};
  auto special = [&](int32_t id) { return id >= 0 ? std::string(tok_.token_bytes(id)) : std::string(); };
  const json props = {{"default_generation_settings", settings},
                      {"total_slots", scheduler_.n_slots()},
                      {"model_path", opt_.model_path},
                      {"model_alias", opt_.model_id},
                      {"chat_template", tok_.chat_template()},
                      {"bos_token", special(tok_.bos_id())},
                      {"eos_token", special(tok_.eos_id())},
                      {"n_ctx", scheduler_.slot_ctx()},
                      {"modalities", {{"vision", false}, {"audio", false}}},
                      {"build_info", "lowbit"}};
  res.send(200, "application/json", dump_json(props));
}

void HttpServer::handle_slots(HttpResponder& res) {
  if (!opt_.slots_endpoint)
    throw ApiError(501, "This server does not support slots endpoint (it was started with --no-slots).",
                   "not_supported_error");
  json slots = json::array();
  for (const Scheduler::SlotView& v : scheduler_.slot_views())
    slots.push_back({{"id", v.id},
                     {"id_task", -1},
                     {"n_ctx", scheduler_.slot_ctx()},
                     {"speculative", false},
                     {"is_processing", v.processing},
                     {"params", generation_settings_json(v.sampling, v.n_remain + v.n_decoded, v.stop, false,
                                                         v.has_grammar ? "(set)" : "")},
                     {"n_prompt_tokens", v.n_prompt},
                     {"next_token",
                      {{"has_next_token", v.processing},
                       {"has_new_line", false},
                       {"n_remain", v.n_remain},
                       {"n_decoded", v.n_decoded},
                       {"stopping_word", ""}}}});
  res.send(200, "application/json", dump_json(slots));
}

// OpenAI's embeddings: input is a string, an array of strings, an array of
// token ids, or an array of such arrays; each becomes one pooled,
// unit-length vector (see SchedulerOptions::pooling).
void HttpServer::handle_embeddings(const HttpRequest& req, HttpResponder& res) {
  const json doc = parse_body(req.body, opt_.limits.max_json_depth);
  if (auto m = doc.find("model"); m != doc.end() && m->is_string() && m->get<std::string>() != opt_.model_id)
    throw ApiError(404, fmt::format("The model '{}' does not exist", m->get<std::string>()), "invalid_request_error",
                   "model", "model_not_found");
  // The openai clients ask for base64 (little-endian float32) unless told otherwise.
  bool base64 = false;
  if (auto f = doc.find("encoding_format"); f != doc.end() && !f->is_null()) {
    if (*f != "float" && *f != "base64")
      throw ApiError(400, "'encoding_format' must be \"float\" or \"base64\"", "invalid_request_error",
                     "encoding_format");
    base64 = *f == "base64";
  }
  auto input = doc.find("input");
  if (input == doc.end()) input = doc.find("content");  // llama-server's /embedding field
  if (input == doc.end()) throw ApiError(400, "'input' is required", "invalid_request_error", "input");
  // One prompt per input: a string, or an array of ids.
  auto one = [&](const json& v, const std::string& param) {
    CompletionRequest cr;
    if (v.is_string()) {
      cr.prompt = v.get<std::string>();
    } else if (v.is_array() && !v.empty() &&
               std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number_integer(); })) {
      for (const json& e : v) {
        if (e.get<int64_t>() < 0 || e.get<int64_t>() > INT32_MAX)
          throw ApiError(400, fmt::format("'{}' holds a bad token id", param), "invalid_request_error", param);
        cr.prompt_pieces.push_back({{}, int32_t(e.get<int64_t>())});
      }
    } else {
      throw ApiError(400, fmt::format("'{}' must be a string or an array of token ids", param), "invalid_request_error",
                     param);
    }
    return cr;
  };
  std::vector<CompletionRequest> inputs;
  if (input->is_array() && !input->empty() && !(*input)[0].is_number()) {
    if (input->size() > 256)
      throw ApiError(400, "'input' holds more than 256 entries", "invalid_request_error", "input");
    for (size_t i = 0; i < input->size(); ++i) inputs.push_back(one((*input)[i], fmt::format("input[{}]", i)));
  } else {
    inputs.push_back(one(*input, "input"));
  }
  std::vector<std::shared_ptr<GenerationJob>> jobs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto job = std::make_shared<GenerationJob>();
    try {
      job->prompt = prompt_tokens(inputs[i]);
    } catch (const Error& e) {
      throw ApiError(400, e.what(), "invalid_request_error", "input");
    }
    if (job->prompt.empty()) throw ApiError(400, "an input is empty", "invalid_request_error", "input");
    if (int64_t(job->prompt.size()) > scheduler_.slot_ctx())
      throw ApiError(400,
                     fmt::format("an input has {} tokens; the context per request is {}", job->prompt.size(),
                                 scheduler_.slot_ctx()),
                     "invalid_request_error", "input", "context_length_exceeded");
    job->embedding = true;
    jobs.push_back(std::move(job));
  }
  ActiveGuard active(active_);
  json data = json::array();
  int64_t n_tokens = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    submit(jobs[i]);
    wait_whole(*jobs[i], res);
    const JobOutcome o = jobs[i]->outcome();
    n_tokens += o.n_prompt;
    data.push_back({{"object", "embedding"},
                    {"index", i},
                    {"embedding", base64 ? json(base64_floats(o.embedding)) : json(o.embedding)}});
  }
  res.send(200, "application/json",
           dump_json({{"object", "list"},
                      {"data", std::move(data)},
                      {"model", opt_.model_id},
                      {"usage", {{"prompt_tokens", n_tokens}, {"total_tokens", n_tokens}}}}));
}

}  // namespace lowbit::server

#include "server/completion_request.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/api_error.hpp"

namespace lowbit::server {

using nlohmann::json;

namespace {

ApiError bad(const std::string& param, const std::string& message) {
  return ApiError(400, message, "invalid_request_error", param);
}

const char* type_name(const json& v) { return v.type_name(); }

bool get_bool(const json& v, const std::string& param) {
  if (!v.is_boolean()) throw bad(param, fmt::format("'{}' must be a boolean, not {}", param, type_name(v)));
  return v.get<bool>();
}

double get_number(const json& v, const std::string& param, double lo, double hi) {
  if (!v.is_number()) throw bad(param, fmt::format("'{}' must be a number, not {}", param, type_name(v)));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw bad(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
  return x;
}

int64_t get_integer(const json& v, const std::string& param, int64_t lo, int64_t hi) {
  // Integers beyond int64 arrive as unsigned or float: out of range either way.
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(hi) || (lo > 0 && u < uint64_t(lo))) throw bad(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
    return int64_t(u);
  }
  if (!v.is_number_integer()) throw bad(param, fmt::format("'{}' must be an integer, not {}", param, type_name(v)));
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) throw bad(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
  return x;
}

const std::string& get_string(const json& v, const std::string& param) {
  if (!v.is_string()) throw bad(param, fmt::format("'{}' must be a string, not {}", param, type_name(v)));
  return v.get_ref<const std::string&>();
}

// Message content: a string, or an array of {"type": "text", "text": ...}
// parts (joined), as OpenAI's newer clients send it.
std::string message_content(const json& c, const std::string& param) {
  if (c.is_null()) return {};
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) throw bad(param, fmt::format("'{}' must be a string or an array of text parts", param));
  std::string text;
  for (size_t i = 0; i < c.size(); ++i) {
    const json& part = c[i];
    const std::string p = fmt::format("{}[{}]", param, i);
    if (!part.is_object()) throw bad(p, fmt::format("'{}' must be an object", p));
    auto t = part.find("type");
    if (t == part.end() || !t->is_string() || *t != "text")
      throw bad(p + ".type", fmt::format("'{}.type': only \"text\" parts are supported", p));
    auto tx = part.find("text");
    if (tx == part.end()) throw bad(p + ".text", fmt::format("'{}.text' is missing", p));
    text += get_string(*tx, p + ".text");
  }
  return text;
}

std::vector<ChatMessage> parse_messages(const json& v, const RequestLimits& limits) {
  if (!v.is_array()) throw bad("messages", "'messages' must be an array");
  if (v.empty()) throw bad("messages", "'messages' must not be empty");
  if (v.size() > limits.max_messages)
    throw bad("messages", fmt::format("'messages' has more than {} entries", limits.max_messages));
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const json& m = v[i];
    const std::string p = fmt::format("messages[{}]", i);
    if (!m.is_object()) throw bad(p, fmt::format("'{}' must be an object", p));
    auto role = m.find("role");
    if (role == m.end()) throw bad(p + ".role", fmt::format("'{}.role' is missing", p));
    std::string r = get_string(*role, p + ".role");
    if (r == "developer") r = "system";  // OpenAI's newer name for the system role
    if (r != "system" && r != "user" && r != "assistant")
      throw bad(p + ".role", fmt::format("'{}.role' must be system, user or assistant, not '{}'", p, r));
    auto content = m.find("content");
    out.push_back({r, content == m.end() ? std::string() : message_content(*content, p + ".content")});
  }
  return out;
}

std::vector<std::string> parse_stop(const json& v, const RequestLimits& limits) {
  std::vector<std::string> stop;
  if (v.is_null()) return stop;
  if (v.is_string()) {
    stop.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    if (v.size() > limits.max_stop) throw bad("stop", fmt::format("'stop' allows at most {} strings", limits.max_stop));
    for (size_t i = 0; i < v.size(); ++i) stop.push_back(get_string(v[i], fmt::format("stop[{}]", i)));
  } else {
    throw bad("stop", "'stop' must be a string or an array of strings");
  }
  for (const std::string& s : stop)
    if (s.size() > limits.max_stop_bytes)
      throw bad("stop", fmt::format("a stop string is longer than {} bytes", limits.max_stop_bytes));
  std::erase(stop, std::string());
  return stop;
}

}  // namespace

int json_nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const RequestLimits& limits) {
  if (json_nesting_depth(body) > limits.max_json_depth)
    throw bad("", fmt::format("the request body nests deeper than {} levels", limits.max_json_depth));
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw bad("", "the request body is not valid JSON");
  if (!doc.is_object()) throw bad("", "the request body must be a JSON object");

  CompletionRequest r;
  r.endpoint = endpoint;
  // OpenAI's defaults (temperature 1, top_p 1), but top-k 40 as llama.cpp's
  // server: sampling from the full distribution sorts the whole vocabulary
  // (128k for 2B4T) for every token, and the tail below the top 40 carries
  // almost no mass. "top_k": 0 asks for the full distribution.
  r.sampling.temperature = 1.0f;
  r.sampling.top_p = 1.0f;
  r.sampling.top_k = 40;
  r.sampling.min_p = 0.0f;
  r.max_tokens = limits.max_tokens;
  bool have_input = false;

  for (const auto& [key, v] : doc.items()) {
    if (key == "model") {
      r.model = get_string(v, key);
    } else if (key == "messages" && endpoint == Endpoint::Chat) {
      r.messages = parse_messages(v, limits);
      have_input = true;
    } else if (key == "prompt" && endpoint == Endpoint::Completion) {
      if (v.is_array()) {
        if (v.size() != 1) throw bad("prompt", "'prompt' must be one string (batches of prompts are not supported)");
        r.prompt = get_string(v[0], "prompt[0]");
      } else {
        r.prompt = get_string(v, key);
      }
      have_input = true;
    } else if (key == "stream") {
      r.stream = get_bool(v, key);
    } else if (key == "stream_options") {
      if (v.is_null()) continue;
      if (!v.is_object()) throw bad(key, "'stream_options' must be an object");
      if (auto u = v.find("include_usage"); u != v.end()) r.include_usage = get_bool(*u, "stream_options.include_usage");
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (v.is_null()) continue;
      r.max_tokens = int(get_integer(v, key, 1, limits.max_tokens));
    } else if (key == "temperature") {
      if (!v.is_null()) r.sampling.temperature = float(get_number(v, key, 0.0, 2.0));
    } else if (key == "top_p") {
      if (!v.is_null()) r.sampling.top_p = float(get_number(v, key, 0.0, 1.0));
    } else if (key == "top_k") {  // llama.cpp-style extension
      if (!v.is_null()) r.sampling.top_k = int(get_integer(v, key, 0, 1 << 30));
    } else if (key == "min_p") {  // llama.cpp-style extension
      if (!v.is_null()) r.sampling.min_p = float(get_number(v, key, 0.0, 1.0));
    } else if (key == "seed") {
      if (v.is_null()) continue;
      r.sampling.seed = uint64_t(get_integer(v, key, INT64_MIN, INT64_MAX));
      r.has_seed = true;
    } else if (key == "stop") {
      r.stop = parse_stop(v, limits);
    } else if (key == "n") {
      if (!v.is_null() && get_integer(v, key, 1, 1 << 30) != 1) throw bad(key, "only n = 1 is supported");
    } else if (key == "presence_penalty" || key == "frequency_penalty") {
      if (!v.is_null()) get_number(v, key, -2.0, 2.0);  // accepted and ignored (documented)
    } else if (key == "logprobs" || key == "echo") {
      if (!v.is_null() && !(v.is_boolean() && !v.get<bool>()) && !(v.is_number_integer() && v.get<int64_t>() == 0))
        throw bad(key, fmt::format("'{}' is not supported", key));
    } else if (key == "tools" || key == "functions" || key == "tool_choice" || key == "response_format" ||
               key == "logit_bias" || key == "suffix" || key == "best_of") {
      if (!v.is_null()) throw bad(key, fmt::format("'{}' is not supported", key));
    }
    // Other keys (user, metadata, store, ...) carry no meaning here.
  }
  if (!have_input)
    throw bad(endpoint == Endpoint::Chat ? "messages" : "prompt",
              endpoint == Endpoint::Chat ? "'messages' is required" : "'prompt' is required");
  return r;
}

}  // namespace lowbit::server

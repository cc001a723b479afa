#include "server/completion_request.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "grammar/json_schema.hpp"
#include "server/api_error.hpp"

namespace lowbit::server {

using json = nlohmann::ordered_json;  // properties keep their order (JSON schema)

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
    if (u > uint64_t(hi) || (lo > 0 && u < uint64_t(lo)))
      throw bad(param, fmt::format("'{}' must be between {} and {}", param, lo, hi));
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

// A prompt: a string; an array of token ids, or of strings and ids mixed
// (llama-server); an array holding one string or one array of ids (OpenAI's
// batch shape, with one prompt). Several prompts are not supported.
void parse_prompt(const json& v, CompletionRequest& r) {
  if (v.is_string()) {
    r.prompt = v.get<std::string>();
    return;
  }
  if (!v.is_array()) throw bad("prompt", "'prompt' must be a string, an array of token ids, or of strings and ids");
  const json* items = &v;
  if (v.size() == 1 && (v[0].is_string() || v[0].is_array())) {
    if (v[0].is_string()) {
      r.prompt = v[0].get<std::string>();
      return;
    }
    items = &v[0];
  }
  bool any_token = false;
  for (size_t i = 0; i < items->size(); ++i) {
    const json& e = (*items)[i];
    const std::string p = fmt::format("prompt[{}]", i);
    if (e.is_string()) {
      r.prompt_pieces.push_back({e.get<std::string>(), -1});
    } else if (e.is_number()) {
      r.prompt_pieces.push_back({{}, int32_t(get_integer(e, p, 0, INT32_MAX))});
      any_token = true;
    } else {
      throw bad(p, fmt::format("'{}' must be a token id or a string", p));
    }
  }
  // Strings only, more than one: a batch of prompts.
  if (!any_token) throw bad("prompt", "'prompt' must be one string (batches of prompts are not supported)");
}

// OpenAI's response_format: text, json_object, or json_schema {schema}.
void parse_response_format(const json& v, CompletionRequest& r) {
  if (!v.is_object()) throw bad("response_format", "'response_format' must be an object");
  auto t = v.find("type");
  if (t == v.end() || !t->is_string()) throw bad("response_format.type", "'response_format.type' must be a string");
  const std::string type = t->get<std::string>();
  if (type == "text") return;
  json schema;
  if (type == "json_object") {
    // llama-server also takes a schema here.
    auto s = v.find("schema");
    schema = s != v.end() ? *s : json{{"type", "object"}};
  } else if (type == "json_schema") {
    auto js = v.find("json_schema");
    if (js == v.end() || !js->is_object())
      throw bad("response_format.json_schema", "'response_format.json_schema' must be an object");
    auto s = js->find("schema");
    if (s == js->end())
      throw bad("response_format.json_schema.schema", "'response_format.json_schema.schema' is missing");
    schema = *s;
  } else {
    throw bad("response_format.type",
              fmt::format("'response_format.type' must be text, json_object or json_schema, not '{}'", type));
  }
  r.grammar_param = type == "json_object" ? "response_format" : "response_format.json_schema.schema";
  try {
    r.grammar = grammar::json_schema_to_gbnf(schema);
  } catch (const Error& e) {
    throw bad(r.grammar_param, e.what());
  }
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
  const bool native = endpoint == Endpoint::Native;
  // OpenAI's defaults (temperature 1, top_p 1), but top-k 40 as llama.cpp's
  // server: sampling from the full distribution sorts the whole vocabulary
  // (128k for 2B4T) for every token, and the tail below the top 40 carries
  // almost no mass. "top_k": 0 asks for the full distribution. The native
  // endpoint keeps llama-server's defaults, which SamplerParams has.
  if (!native) {
    r.sampling.temperature = 1.0f;
    r.sampling.top_p = 1.0f;
    r.sampling.top_k = 40;
    r.sampling.min_p = 0.0f;
  }
  r.max_tokens = limits.max_tokens;
  bool have_input = false, have_grammar = false;
  auto set_grammar = [&](const std::string& key) {
    if (have_grammar) throw bad(key, "give only one of 'grammar', 'json_schema' and 'response_format'");
    have_grammar = true;
  };

  for (const auto& [key, v] : doc.items()) {
    if (key == "model") {
      r.model = get_string(v, key);
    } else if (key == "messages" && endpoint == Endpoint::Chat) {
      r.messages = parse_messages(v, limits);
      have_input = true;
    } else if ((key == "prompt" || (native && key == "content")) && endpoint != Endpoint::Chat) {
      parse_prompt(v, r);
      have_input = true;
    } else if (key == "stream") {
      r.stream = get_bool(v, key);
    } else if (key == "stream_options") {
      if (v.is_null()) continue;
      if (!v.is_object()) throw bad(key, "'stream_options' must be an object");
      if (auto u = v.find("include_usage"); u != v.end())
        r.include_usage = get_bool(*u, "stream_options.include_usage");
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (v.is_null()) continue;
      r.max_tokens = int(get_integer(v, key, 1, limits.max_tokens));
    } else if (key == "n_predict") {  // llama-server: -1 = until the limit
      if (v.is_null()) continue;
      const int64_t n = get_integer(v, key, -1, limits.max_tokens);
      // 0 (no tokens, just the prompt's processing) is llama-server's own
      // endpoint's; an OpenAI reply always has a choice to fill.
      if (n == 0 && !native) throw bad(key, "'n_predict' must be -1 or at least 1 on this endpoint");
      r.max_tokens = n < 0 ? limits.max_tokens : int(n);
    } else if (key == "temperature") {
      if (!v.is_null()) r.sampling.temperature = float(get_number(v, key, 0.0, native ? 100.0 : 2.0));
    } else if (key == "top_p") {
      if (!v.is_null()) r.sampling.top_p = float(get_number(v, key, 0.0, 1.0));
    } else if (key == "top_k") {  // llama.cpp-style extension; <= 0: off
      if (!v.is_null()) r.sampling.top_k = std::max(0, int(get_integer(v, key, -1, 1 << 30)));
    } else if (key == "min_p") {  // llama.cpp-style extension
      if (!v.is_null()) r.sampling.min_p = float(get_number(v, key, 0.0, 1.0));
    } else if (key == "seed") {
      if (v.is_null()) continue;
      r.sampling.seed = uint64_t(get_integer(v, key, INT64_MIN, INT64_MAX));
      // llama-server: -1 (its default) asks for a random seed.
      r.has_seed = !(native && int64_t(r.sampling.seed) == -1);
    } else if (key == "stop") {
      r.stop = parse_stop(v, limits);
    } else if (key == "n") {
      if (!v.is_null() && get_integer(v, key, 1, 1 << 30) != 1) throw bad(key, "only n = 1 is supported");
    } else if (key == "presence_penalty") {
      if (!v.is_null()) r.sampling.presence_penalty = float(get_number(v, key, -2.0, 2.0));
    } else if (key == "frequency_penalty") {
      if (!v.is_null()) r.sampling.frequency_penalty = float(get_number(v, key, -2.0, 2.0));
    } else if (key == "repeat_penalty") {  // llama.cpp-style extension; 1 (or 0) = off
      if (!v.is_null()) {
        const float p = float(get_number(v, key, 0.0, 10.0));
        r.sampling.repeat_penalty = p == 0 ? 1.0f : p;
      }
    } else if (key == "repeat_last_n") {  // llama.cpp-style extension; -1 = the whole context, 0 = penalties off
      if (!v.is_null()) r.sampling.repeat_last_n = int(get_integer(v, key, -1, 1 << 30));
    } else if (key == "ignore_eos") {
      if (!v.is_null()) r.ignore_eos = get_bool(v, key);
    } else if (key == "grammar") {
      if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty())) continue;
      set_grammar(key);
      r.grammar = get_string(v, key);
      r.grammar_param = key;
    } else if (key == "json_schema") {  // llama-server's field
      if (v.is_null() || (v.is_object() && v.empty())) continue;
      if (!v.is_object() && !v.is_boolean()) throw bad(key, "'json_schema' must be an object");
      set_grammar(key);
      r.grammar_param = key;
      try {
        r.grammar = grammar::json_schema_to_gbnf(v);
      } catch (const Error& e) {
        throw bad(key, e.what());
      }
    } else if (key == "response_format") {
      if (v.is_null()) continue;
      set_grammar(key);
      parse_response_format(v, r);
      if (r.grammar.empty()) have_grammar = false;  // "text"
    } else if (key == "logprobs" || key == "echo") {
      if (!v.is_null() && !(v.is_boolean() && !v.get<bool>()) && !(v.is_number_integer() && v.get<int64_t>() == 0))
        throw bad(key, fmt::format("'{}' is not supported", key));
    } else if (key == "tools" || key == "functions" || key == "tool_choice" || key == "logit_bias" || key == "suffix" ||
               key == "best_of") {
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

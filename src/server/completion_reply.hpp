// The JSON shapes of a completion answer, OpenAI's: whole responses
// ("chat.completion", "text_completion") and stream chunks as server-sent
// events ("chat.completion.chunk").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/completion_request.hpp"
#include "server/generation_job.hpp"

namespace lowbit::server {

// Generated text may hold invalid UTF-8 (a model can emit any byte token);
// it is replaced rather than failing the response.
inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline nlohmann::json usage_json(const JobOutcome& o) {
  return {{"prompt_tokens", o.n_prompt}, {"completion_tokens", o.n_generated},
          {"total_tokens", o.n_prompt + o.n_generated}};
}

// What a response needs to know about its request.
struct Reply {
  using json = nlohmann::json;
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
  std::string event(const json& j) const { return "data: " + dump_json(j) + "\n\n"; }
  std::string chunk(const std::string& text, const json& finish_reason = nullptr) const {
    json j = envelope(true);
    j["choices"] = json::array({choice(text, finish_reason, true)});
    return event(j);
  }
  // A chat stream opens with the assistant role.
  std::string role_chunk() const {
    json j = envelope(true);
    j["choices"] = json::array({{{"index", 0},
                                 {"delta", {{"role", "assistant"}, {"content", ""}}},
                                 {"logprobs", nullptr},
                                 {"finish_reason", nullptr}}});
    return event(j);
  }
  std::string usage_chunk(const JobOutcome& o) const {
    json u = envelope(true);
    u["choices"] = json::array();
    u["usage"] = usage_json(o);
    return event(u);
  }
  json whole(const std::string& text, const JobOutcome& o) const {
    json j = envelope(false);
    j["choices"] = json::array({choice(text, o.finish_reason, false)});
    j["usage"] = usage_json(o);
    return j;
  }
};

}  // namespace lowbit::server

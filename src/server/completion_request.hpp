// The body of POST /v1/chat/completions and /v1/completions, parsed and
// checked against the server's limits. Everything a client can send wrong
// (bad JSON, wrong types, out-of-range numbers, deep nesting, unsupported
// options) becomes an ApiError with status 400 naming the field, never a
// crash; this file is the fuzzed surface of the server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/sampler.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit::server {

enum class Endpoint { Chat, Completion };

struct RequestLimits {
  int max_tokens = 4096;      // largest max_tokens a client may ask for (and the default)
  size_t max_stop = 4;        // stop strings per request (OpenAI's limit)
  size_t max_stop_bytes = 256;
  size_t max_messages = 1024;
  int max_json_depth = 32;    // nesting of the request document
};

struct CompletionRequest {
  Endpoint endpoint = Endpoint::Completion;
  std::string model;                  // empty: not given
  std::string prompt;                 // /v1/completions
  std::vector<ChatMessage> messages;  // /v1/chat/completions
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  int max_tokens = 0;                 // filled with the limit when not given
  SamplerParams sampling;
  bool has_seed = false;
  std::vector<std::string> stop;
};

// Throws ApiError (400) for anything invalid.
CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const RequestLimits& limits);

// Deepest nesting of arrays/objects in a JSON text (strings skipped), so a
// hostile document is refused before a parser builds it.
int json_nesting_depth(std::string_view text);

}  // namespace lowbit::server

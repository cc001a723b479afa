// The body of POST /v1/chat/completions, /v1/completions and llama-server's
// native /completion, parsed and
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

// Native: llama-server's POST /completion (its field names and defaults).
enum class Endpoint { Chat, Completion, Native };

// One piece of a prompt given as llama-server and OpenAI allow it: text, or
// a token id (token >= 0). A prompt may mix them.
struct PromptPiece {
  std::string text;
  int32_t token = -1;
};

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
  std::string prompt;                 // /v1/completions, /completion: the prompt when it is one string
  std::vector<PromptPiece> prompt_pieces;  // ... or when it holds token ids (then `prompt` is empty)
  std::vector<ChatMessage> messages;  // /v1/chat/completions
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  int max_tokens = 0;                 // filled with the limit when not given
  SamplerParams sampling;
  bool has_seed = false;
  std::vector<std::string> stop;
  bool ignore_eos = false;  // llama-server: end-of-generation tokens are never sampled
  // Constrained output: a GBNF grammar (`grammar`), or one made from a JSON
  // schema (`json_schema`, OpenAI's `response_format`). Empty: none.
  std::string grammar;
  std::string grammar_param;  // the field it came from, for errors
};

// Throws ApiError (400) for anything invalid.
CompletionRequest parse_completion_request(std::string_view body, Endpoint endpoint, const RequestLimits& limits);

// Deepest nesting of arrays/objects in a JSON text (strings skipped), so a
// hostile document is refused before a parser builds it.
int json_nesting_depth(std::string_view text);

}  // namespace lowbit::server

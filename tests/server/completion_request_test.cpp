// Request parsing: the fields OpenAI clients send, the defaults, and each
// kind of bad input answered with 400 and the offending field named.
#include <gtest/gtest.h>

#include "server/api_error.hpp"
#include "server/completion_request.hpp"

namespace lowbit::server {
namespace {

CompletionRequest parse(const std::string& body, Endpoint e = Endpoint::Chat) {
  return parse_completion_request(body, e, RequestLimits{});
}

// The ApiError a body produces (status 0 when it parses).
ApiError error_of(const std::string& body, Endpoint e = Endpoint::Chat) {
  try {
    parse(body, e);
  } catch (const ApiError& err) {
    return err;
  }
  return ApiError(0, "parsed");
}

TEST(CompletionRequest, ChatWithAllCommonFields) {
  const auto r = parse(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],
      "stream":true,"stream_options":{"include_usage":true},"max_tokens":7,"temperature":0.5,
      "top_p":0.9,"seed":42,"stop":["\n","END"],"n":1,"user":"x","presence_penalty":0.1})");
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "hi there");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_TRUE(r.has_seed);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "END"}));
}

TEST(CompletionRequest, DefaultsAreOpenAIs) {
  const auto r = parse(R"({"prompt":"abc"})", Endpoint::Completion);
  EXPECT_EQ(r.prompt, "abc");
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(r.max_tokens, RequestLimits{}.max_tokens);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 1.0f);
  EXPECT_EQ(r.sampling.top_k, 40);  // llama.cpp server's default, not OpenAI's (full distribution)
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.0f);
  EXPECT_FALSE(r.has_seed);
  EXPECT_TRUE(r.stop.empty());
}

TEST(CompletionRequest, PromptAsOneElementArrayAndStopAsString) {
  const auto r = parse(R"({"prompt":["xyz"],"stop":"q","max_completion_tokens":3})", Endpoint::Completion);
  EXPECT_EQ(r.prompt, "xyz");
  EXPECT_EQ(r.stop, std::vector<std::string>{"q"});
  EXPECT_EQ(r.max_tokens, 3);
}

TEST(CompletionRequest, DeveloperRoleIsSystem) {
  EXPECT_EQ(parse(R"({"messages":[{"role":"developer","content":"x"}]})").messages[0].role, "system");
}

TEST(CompletionRequest, NullsMeanDefault) {
  const auto r = parse(R"({"messages":[{"role":"user","content":null}],"max_tokens":null,"temperature":null,"stop":null,"seed":null})");
  EXPECT_EQ(r.messages[0].content, "");
  EXPECT_EQ(r.max_tokens, RequestLimits{}.max_tokens);
  EXPECT_FALSE(r.has_seed);
}

struct BadCase {
  const char* body;
  const char* param;
  Endpoint endpoint = Endpoint::Chat;
};

TEST(CompletionRequest, BadInputIs400NamingTheField) {
  const BadCase cases[] = {
      {"", ""},
      {"{", ""},
      {"[1,2]", ""},
      {"\"str\"", ""},
      {R"({"messages":"hi"})", "messages"},
      {R"({"messages":[]})", "messages"},
      {R"({"messages":[1]})", "messages[0]"},
      {R"({"messages":[{"content":"x"}]})", "messages[0].role"},
      {R"({"messages":[{"role":"robot","content":"x"}]})", "messages[0].role"},
      {R"({"messages":[{"role":7,"content":"x"}]})", "messages[0].role"},
      {R"({"messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "messages[0].content[0].type"},
      {R"({"model":"m"})", "messages"},
      {R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"prompt":5})", "prompt", Endpoint::Completion},
      {R"({"prompt":["a","b"]})", "prompt", Endpoint::Completion},
      {R"({"messages":[{"role":"user","content":"x"}]})", "prompt", Endpoint::Completion},
      {R"({"prompt":"x","stream":"yes"})", "stream", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":0})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":-5})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":1.5})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":99999999999999999999999})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":18446744073709551615})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","max_tokens":4097})", "max_tokens", Endpoint::Completion},
      {R"({"prompt":"x","temperature":3})", "temperature", Endpoint::Completion},
      {R"({"prompt":"x","temperature":"hot"})", "temperature", Endpoint::Completion},
      {R"({"prompt":"x","temperature":1e400})", "", Endpoint::Completion},  // not valid JSON for nlohmann? see below
      {R"({"prompt":"x","top_p":-0.1})", "top_p", Endpoint::Completion},
      {R"({"prompt":"x","seed":"7"})", "seed", Endpoint::Completion},
      {R"({"prompt":"x","seed":1e30})", "seed", Endpoint::Completion},
      {R"({"prompt":"x","stop":5})", "stop", Endpoint::Completion},
      {R"({"prompt":"x","stop":["a","b","c","d","e"]})", "stop", Endpoint::Completion},
      {R"({"prompt":"x","stop":[1]})", "stop[0]", Endpoint::Completion},
      {R"({"prompt":"x","n":2})", "n", Endpoint::Completion},
      {R"({"prompt":"x","logprobs":5})", "logprobs", Endpoint::Completion},
      {R"({"prompt":"x","tools":[]})", "tools", Endpoint::Completion},
      {R"({"prompt":"x","stream_options":3})", "stream_options", Endpoint::Completion},
  };
  for (const BadCase& c : cases) {
    const ApiError e = error_of(c.body, c.endpoint);
    EXPECT_EQ(e.status, 400) << c.body;
    if (std::string(c.body).find("1e400") == std::string::npos) {
      EXPECT_EQ(e.param, c.param) << c.body;
    }
    EXPECT_EQ(e.type, "invalid_request_error") << c.body;
  }
}

TEST(CompletionRequest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = R"({"prompt":"x","metadata":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(error_of(deep, Endpoint::Completion).status, 400);
  EXPECT_EQ(json_nesting_depth(R"({"a":[{"b":"[[[[{{"}]})"), 3);
  EXPECT_EQ(json_nesting_depth(R"(["\"[[["])"), 1);
}

TEST(CompletionRequest, ErrorBodyHasOpenAIsShape) {
  const auto j = ApiError(404, "no such model", "invalid_request_error", "model", "model_not_found").to_json();
  EXPECT_EQ(j["error"]["message"], "no such model");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "model");
  EXPECT_EQ(j["error"]["code"], "model_not_found");
  EXPECT_TRUE(ApiError(400, "x").to_json()["error"]["code"].is_null());
}

}  // namespace
}  // namespace lowbit::server

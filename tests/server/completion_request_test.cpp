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
  const auto r = parse(
      R"({"messages":[{"role":"user","content":null}],"max_tokens":null,"temperature":null,"stop":null,"seed":null})");
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

// Found by fuzz-completion_request: n_predict 0 (also written -0) parsed
// into a request for no tokens on the OpenAI endpoints, which must ask for
// at least one; llama-server's own endpoint takes it.
TEST(CompletionRequest, NPredictZeroIsNativeOnly) {
  const std::string body = R"({"prompt":["ab",5,"cd"],"n_predict":-0,"seed":-1})";
  for (Endpoint e : {Endpoint::Chat, Endpoint::Completion}) {
    const ApiError err = error_of(body, e);
    EXPECT_EQ(err.status, 400);
    EXPECT_EQ(err.param, "n_predict");
  }
  EXPECT_EQ(parse(body, Endpoint::Native).max_tokens, 0);
  EXPECT_EQ(parse(R"({"prompt":"x","n_predict":-1})", Endpoint::Completion).max_tokens, RequestLimits{}.max_tokens);
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

namespace lowbit::server {
namespace {

TEST(CompletionRequest, NativeFieldsAndDefaults) {
  const auto r = parse(R"({"prompt":"p","n_predict":-1,"seed":-1,"ignore_eos":true,"repeat_penalty":1.3,
      "repeat_last_n":-1,"presence_penalty":0.5,"frequency_penalty":-0.25,"cache_prompt":true,"top_k":-1})",
                       Endpoint::Native);
  EXPECT_EQ(r.prompt, "p");
  EXPECT_EQ(r.max_tokens, RequestLimits{}.max_tokens);
  EXPECT_FALSE(r.has_seed);  // -1: random
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_FLOAT_EQ(r.sampling.repeat_penalty, 1.3f);
  EXPECT_EQ(r.sampling.repeat_last_n, -1);
  EXPECT_FLOAT_EQ(r.sampling.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.frequency_penalty, -0.25f);
  EXPECT_EQ(r.sampling.top_k, 0);
  // llama-server's defaults.
  const auto d = parse(R"({"prompt":"p"})", Endpoint::Native);
  EXPECT_FLOAT_EQ(d.sampling.temperature, 0.8f);
  EXPECT_FLOAT_EQ(d.sampling.top_p, 0.95f);
  EXPECT_FLOAT_EQ(d.sampling.min_p, 0.05f);
  EXPECT_EQ(d.sampling.top_k, 40);
  // OpenAI's penalties reach the sampler on the OpenAI endpoints too.
  const auto o = parse(R"({"messages":[{"role":"user","content":"x"}],"presence_penalty":1,"frequency_penalty":2})");
  EXPECT_FLOAT_EQ(o.sampling.presence_penalty, 1.0f);
  EXPECT_FLOAT_EQ(o.sampling.frequency_penalty, 2.0f);
}

TEST(CompletionRequest, TokenIdAndMixedPrompts) {
  const auto ids = parse(R"({"prompt":[1,2,3]})", Endpoint::Completion);
  ASSERT_EQ(ids.prompt_pieces.size(), 3u);
  EXPECT_EQ(ids.prompt_pieces[2].token, 3);
  const auto nested = parse(R"({"prompt":[[7,8]]})", Endpoint::Completion);
  ASSERT_EQ(nested.prompt_pieces.size(), 2u);
  EXPECT_EQ(nested.prompt_pieces[0].token, 7);
  const auto mixed = parse(R"({"prompt":["ab",5,"cd"]})", Endpoint::Native);
  ASSERT_EQ(mixed.prompt_pieces.size(), 3u);
  EXPECT_EQ(mixed.prompt_pieces[0].text, "ab");
  EXPECT_EQ(mixed.prompt_pieces[0].token, -1);
  EXPECT_EQ(mixed.prompt_pieces[1].token, 5);
  EXPECT_EQ(error_of(R"({"prompt":[1,-2]})", Endpoint::Completion).param, "prompt[1]");
  EXPECT_EQ(error_of(R"({"prompt":[1,{}]})", Endpoint::Native).param, "prompt[1]");
  EXPECT_EQ(error_of(R"({"prompt":[1,2.5]})", Endpoint::Native).param, "prompt[1]");
}

TEST(CompletionRequest, GrammarJsonSchemaAndResponseFormat) {
  const auto g = parse(R"({"prompt":"x","grammar":"root ::= \"a\""})", Endpoint::Native);
  EXPECT_EQ(g.grammar, "root ::= \"a\"");
  EXPECT_EQ(g.grammar_param, "grammar");
  const auto js = parse(R"({"prompt":"x","json_schema":{"type":"boolean"}})", Endpoint::Native);
  EXPECT_NE(js.grammar.find("root ::= boolean"), std::string::npos) << js.grammar;
  const auto rf = parse(R"({"messages":[{"role":"user","content":"x"}],
      "response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"null"}}}})");
  EXPECT_NE(rf.grammar.find("root ::= null"), std::string::npos) << rf.grammar;
  const auto obj = parse(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
  EXPECT_NE(obj.grammar.find("root ::= object"), std::string::npos) << obj.grammar;
  EXPECT_TRUE(
      parse(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}})").grammar.empty());
  const BadCase cases[] = {
      {R"({"prompt":"x","grammar":5})", "grammar", Endpoint::Native},
      {R"({"prompt":"x","grammar":"root ::= \"a\"","json_schema":{"type":"null"}})", "json_schema", Endpoint::Native},
      {R"({"prompt":"x","json_schema":{"type":"bogus"}})", "json_schema", Endpoint::Native},
      {R"({"prompt":"x","response_format":{"type":"yaml"}})", "response_format.type", Endpoint::Completion},
      {R"({"prompt":"x","response_format":{"type":"json_schema"}})", "response_format.json_schema"},
      {R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":{"enum":[]}}}})",
       "response_format.json_schema.schema", Endpoint::Completion},
      {R"({"prompt":"x","ignore_eos":1})", "ignore_eos", Endpoint::Native},
      {R"({"prompt":"x","n_predict":-2})", "n_predict", Endpoint::Native},
      {R"({"prompt":"x","presence_penalty":3})", "presence_penalty", Endpoint::Native},
  };
  for (const BadCase& c : cases) {
    const ApiError e = error_of(c.body, c.endpoint);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body << " -> " << e.what();
  }
}

}  // namespace
}  // namespace lowbit::server

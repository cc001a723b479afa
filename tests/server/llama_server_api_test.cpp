// llama-server's endpoints on `lowbit serve` (a child process on the tiny
// random model): /completion's answer and stream shapes and stop types,
// token-id and mixed prompts against text prompts, /tokenize and
// /detokenize against each other and the pieces, /props and /slots
// against the command line, --no-slots, /v1/embeddings (shape, unit
// length, batch order, pooling), the chat page, and constrained output
// (GBNF and JSON schema) whose results are checked by an independent
// parser (nlohmann::json) and by hand-written patterns.
#include <gtest/gtest.h>

#include <httplib.h>

#include <cmath>
#include <regex>

#include <nlohmann/json.hpp>

#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;

class LlamaApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(tiny_model_path().empty());
    server_ = new ServerProcess({"--parallel", "3", "-c", "384", "--model-id", "tiny"});
    ASSERT_GT(server_->port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static json post(const std::string& path, const json& body, int expect = 200) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60);
    auto r = c.Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, expect) << path << " " << body.dump() << " -> " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  static std::string post_raw(const std::string& path, const json& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60);
    auto r = c.Post(path, body.dump(), "application/json");
    return r ? r->body : std::string();
  }
  static json get(const std::string& path, int expect = 200) {
    httplib::Client c("127.0.0.1", server_->port());
    auto r = c.Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, expect) << path;
    return json::parse(r->body, nullptr, false);
  }
  static ServerProcess* server_;
};
ServerProcess* LlamaApi::server_ = nullptr;

// The events of a server-sent event stream, parsed.
std::vector<json> sse_events(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    out.push_back(json::parse(body.substr(pos + 6, end - pos - 6), nullptr, false));
    pos = end;
  }
  return out;
}

TEST_F(LlamaApi, CompletionHasLlamaServersShape) {
  const json j = post("/completion", {{"prompt", "Hello"}, {"n_predict", 6}, {"temperature", 0}, {"ignore_eos", true}});
  for (const char* key :
       {"content", "tokens", "id_slot", "stop", "model", "tokens_predicted", "tokens_evaluated", "generation_settings",
        "has_new_line", "truncated", "stop_type", "stopping_word", "tokens_cached", "timings"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["stop"], true);
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["tokens_predicted"], 6);  // ignore_eos: exactly n_predict
  EXPECT_EQ(j["stop_type"], "limit");
  EXPECT_EQ(j["generation_settings"]["n_predict"], 6);
  EXPECT_EQ(j["generation_settings"]["ignore_eos"], true);
  for (const char* key : {"prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n",
                          "predicted_ms", "predicted_per_token_ms", "predicted_per_second"})
    EXPECT_TRUE(j["timings"][key].is_number()) << key;
  EXPECT_EQ(j["timings"]["predicted_n"], 6);
  // The same greedy text as OpenAI's /v1/completions.
  const json o = post("/v1/completions", {{"prompt", "Hello"}, {"max_tokens", 6}, {"temperature", 0}});
  if (o["choices"][0]["finish_reason"] == "length") {
    EXPECT_EQ(j["content"], o["choices"][0]["text"]);
  }
}

TEST_F(LlamaApi, StreamEndsWithAStopEventAndNoDone) {
  const json req = {{"prompt", "Once"}, {"n_predict", 12}, {"temperature", 0}, {"ignore_eos", true}};
  const json whole = post("/completion", req);
  json sreq = req;
  sreq["stream"] = true;
  const std::string body = post_raw("/completion", sreq);
  EXPECT_EQ(body.find("[DONE]"), std::string::npos);
  const std::vector<json> events = sse_events(body);
  ASSERT_GE(events.size(), 2u);
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["stop"], false);
    text += events[i]["content"].get<std::string>();
  }
  const json& last = events.back();
  EXPECT_EQ(last["stop"], true);
  EXPECT_EQ(last["tokens_predicted"], 12);
  EXPECT_EQ(last["stop_type"], "limit");
  EXPECT_TRUE(last["timings"].is_object());
  text += last["content"].get<std::string>();
  EXPECT_EQ(text, whole["content"]);
}

TEST_F(LlamaApi, StopWordIsReported) {
  const json plain =
      post("/completion", {{"prompt", "abc"}, {"n_predict", 16}, {"temperature", 0}, {"ignore_eos", true}});
  const std::string text = plain["content"];
  ASSERT_GE(text.size(), 4u);
  if (static_cast<unsigned char>(text[2]) >= 0x80) GTEST_SKIP() << "the greedy text has no ASCII third byte";
  const std::string word(1, text[2]);
  const json j = post("/completion", {{"prompt", "abc"}, {"n_predict", 16}, {"temperature", 0}, {"stop", {word}}});
  EXPECT_EQ(j["stop_type"], "word");
  EXPECT_EQ(j["stopping_word"], word);
  EXPECT_EQ(j["content"], text.substr(0, text.find(word)));
}

TEST_F(LlamaApi, TokenizeDetokenizeAndPieces) {
  const std::string text = "Hi there, lowbit!";
  const json t = post("/tokenize", {{"content", text}});
  ASSERT_TRUE(t["tokens"].is_array());
  EXPECT_FALSE(t["tokens"].empty());
  EXPECT_EQ(post("/detokenize", {{"tokens", t["tokens"]}})["content"], text);
  const json bos = post("/tokenize", {{"content", text}, {"add_special", true}});
  ASSERT_EQ(bos["tokens"].size(), t["tokens"].size() + 1);  // the random model adds BOS
  const json p = post("/tokenize", {{"content", text}, {"with_pieces", true}});
  std::string joined;
  ASSERT_EQ(p["tokens"].size(), t["tokens"].size());
  for (size_t i = 0; i < p["tokens"].size(); ++i) {
    EXPECT_EQ(p["tokens"][i]["id"], t["tokens"][i]);
    joined += p["tokens"][i]["piece"].get<std::string>();
  }
  EXPECT_EQ(joined, text);
  post("/detokenize", {{"tokens", {1, 999999}}}, 400);
  post("/tokenize", {{"text", "x"}}, 400);
}

TEST_F(LlamaApi, TokenIdAndMixedPromptsEqualTheTextPrompt) {
  const json ids = post("/tokenize", {{"content", "The quick brown"}, {"add_special", true}})["tokens"];
  const json by_text = post("/completion", {{"prompt", "The quick brown"}, {"n_predict", 8}, {"temperature", 0}});
  const json by_ids = post("/completion", {{"prompt", ids}, {"n_predict", 8}, {"temperature", 0}});
  EXPECT_EQ(by_ids["content"], by_text["content"]);
  EXPECT_EQ(by_ids["tokens_evaluated"], ids.size());
  // Mixed: the first words as text (BOS added), the rest as ids.
  const json head = post("/tokenize", {{"content", "The quick"}})["tokens"];
  const json tail = post("/tokenize", {{"content", " brown"}})["tokens"];
  json mixed = json::array({"The quick"});
  for (const json& id : tail) mixed.push_back(id);
  if (head.size() + tail.size() + 1 == ids.size()) {  // the split did not change the tokenization
    EXPECT_EQ(post("/completion", {{"prompt", mixed}, {"n_predict", 8}, {"temperature", 0}})["content"],
              by_text["content"]);
  }
  // OpenAI's /v1/completions takes token ids too.
  const json o_text = post("/v1/completions", {{"prompt", "The quick brown"}, {"max_tokens", 8}, {"temperature", 0}});
  const json o_ids = post("/v1/completions", {{"prompt", ids}, {"max_tokens", 8}, {"temperature", 0}});
  EXPECT_EQ(o_ids["choices"][0]["text"], o_text["choices"][0]["text"]);
  EXPECT_EQ(post("/v1/completions",
                 {{"prompt", json::array({ids})}, {"max_tokens", 8}, {"temperature", 0}})["choices"][0]["text"],
            o_text["choices"][0]["text"]);
  post("/completion", {{"prompt", {1, 2, 100000}}}, 400);
}

TEST_F(LlamaApi, PropsAndSlotsFollowTheCommandLine) {
  const json p = get("/props");
  EXPECT_EQ(p["total_slots"], 3);
  EXPECT_EQ(p["default_generation_settings"]["n_ctx"], 384);
  EXPECT_EQ(p["model_path"], tiny_model_path());
  EXPECT_TRUE(p["chat_template"].is_string());
  EXPECT_TRUE(p["default_generation_settings"]["params"]["temperature"].is_number());
  const json s = get("/slots");
  ASSERT_TRUE(s.is_array());
  ASSERT_EQ(s.size(), 3u);
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i]["id"], i);
    EXPECT_EQ(s[i]["n_ctx"], 384);
    EXPECT_TRUE(s[i]["is_processing"].is_boolean());
  }
}

TEST(LlamaApiFlags, NoSlotsTurnsSlotsOff) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--parallel", "1", "--no-slots"});
  ASSERT_GT(s.port(), 0);
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/slots");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
  EXPECT_EQ(json::parse(r->body)["error"]["type"], "not_supported_error");
}

double norm(const json& v) {
  double n = 0;
  for (const json& x : v) n += x.get<double>() * x.get<double>();
  return std::sqrt(n);
}

TEST_F(LlamaApi, EmbeddingsHaveOpenAIsShapeAndUnitLength) {
  const json j = post("/v1/embeddings", {{"model", "tiny"}, {"input", {"first text", "second"}}});
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["model"], "tiny");
  ASSERT_EQ(j["data"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(j["data"][i]["object"], "embedding");
    EXPECT_EQ(j["data"][i]["index"], i);
    ASSERT_EQ(j["data"][i]["embedding"].size(), 256u);  // the tiny model's n_embd
    EXPECT_NEAR(norm(j["data"][i]["embedding"]), 1.0, 1e-5);
  }
  EXPECT_NE(j["data"][0]["embedding"], j["data"][1]["embedding"]);
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 2);
  // Each input alone gives the same vector as in the batch (order kept).
  const json second = post("/v1/embeddings", {{"input", "second"}});
  for (size_t k = 0; k < 256; ++k)
    EXPECT_NEAR(second["data"][0]["embedding"][k].get<double>(), j["data"][1]["embedding"][k].get<double>(), 1e-6);
  // Token ids as input.
  const json ids = post("/tokenize", {{"content", "second"}, {"add_special", true}})["tokens"];
  const json by_ids = post("/v1/embeddings", {{"input", ids}});
  for (size_t k = 0; k < 256; ++k)
    EXPECT_NEAR(by_ids["data"][0]["embedding"][k].get<double>(), second["data"][0]["embedding"][k].get<double>(), 1e-6);
  post("/v1/embeddings", {{"input", 5}}, 400);
  post("/v1/embeddings", {{"input", "x"}, {"encoding_format", "int8"}}, 400);
}

TEST(LlamaApiFlags, MeanAndLastPoolingAgreeOnOneTokenAndDifferOnMore) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess mean({"--parallel", "1", "--pooling", "mean"}), last({"--parallel", "1", "--pooling", "last"});
  ASSERT_GT(mean.port(), 0);
  ASSERT_GT(last.port(), 0);
  auto embed = [](int port, const json& input) {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Post("/v1/embeddings", json{{"input", input}}.dump(), "application/json");
    return r ? json::parse(r->body)["data"][0]["embedding"] : json();
  };
  // One token: the mean is that token's state.
  const json a = embed(mean.port(), json::array({65})), b = embed(last.port(), json::array({65}));
  ASSERT_EQ(a.size(), 256u);
  for (size_t k = 0; k < 256; ++k) EXPECT_NEAR(a[k].get<double>(), b[k].get<double>(), 1e-6);
  EXPECT_NE(embed(mean.port(), "several tokens here"), embed(last.port(), "several tokens here"));
}

TEST_F(LlamaApi, ChatPageIsSelfContained) {
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("/v1/chat/completions"), std::string::npos);
  EXPECT_NE(r->body.find("stream: true"), std::string::npos);
  // No external assets: nothing loaded from another origin.
  EXPECT_EQ(r->body.find("src=\"http"), std::string::npos);
  EXPECT_EQ(r->body.find("href=\"http"), std::string::npos);
  EXPECT_EQ(r->body.find("@import"), std::string::npos);
}

TEST_F(LlamaApi, GrammarConstrainsTheOutput) {
  const json j = post("/completion", {{"prompt", "x"},
                                      {"n_predict", 60},
                                      {"temperature", 1.5},
                                      {"seed", 7},
                                      {"grammar", "root ::= [a-c]+ \"!\" | \"none\""}});
  const std::string text = j["content"];
  EXPECT_TRUE(std::regex_match(text, std::regex("[a-c]+!|none"))) << text;
  EXPECT_EQ(j["stop_type"], "eos");  // complete, and nothing can follow
  const json bad = post("/completion", {{"prompt", "x"}, {"grammar", "root ::= [a-c"}}, 400);
  EXPECT_EQ(bad["error"]["param"], "grammar");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("offset 9"), std::string::npos);
}

// Found on main 08b2b51: the "!" the grammar ends with was held back as the
// possible start of the stop string "!x", and dropped when the complete
// grammar ended the generation.
TEST_F(LlamaApi, GrammarEndKeepsTextHeldForAStopString) {
  const json j =
      post("/completion", {{"prompt", "x"}, {"n_predict", 20}, {"stop", {"!x"}}, {"grammar", "root ::= \"ab!\""}});
  EXPECT_EQ(j["content"], "ab!");
  EXPECT_EQ(j["stop_type"], "eos");
}

// Whether `v` matches the schema of JsonSchemaConstrainsTheOutput, checked by hand.
bool matches_person(const json& v) {
  if (!v.is_object() || v.size() < 3 || v.size() > 4) return false;
  if (!v.contains("name") || !v["name"].is_string() || v["name"].get<std::string>().size() > 4 * 10) return false;
  if (!v.contains("age") || !v["age"].is_number_integer()) return false;
  if (!v.contains("mood") || (v["mood"] != "happy" && v["mood"] != "sad")) return false;
  if (v.contains("tags")) {
    if (!v["tags"].is_array() || v["tags"].size() > 2) return false;
    for (const json& t : v["tags"])
      if (!t.is_boolean()) return false;
  }
  return true;
}

TEST_F(LlamaApi, JsonSchemaConstrainsTheOutput) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"name", {{"type", "string"}, {"maxLength", 10}}},
                         {"age", {{"type", "integer"}}},
                         {"mood", {{"enum", {"happy", "sad"}}}},
                         {"tags", {{"type", "array"}, {"items", {{"type", "boolean"}}}, {"maxItems", 2}}}}},
                       {"required", {"name", "age", "mood"}}};
  int garbage = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    const json base = {{"prompt", "Data:"}, {"n_predict", 120}, {"temperature", 1.5}, {"seed", seed}};
    // Unconstrained, the random model writes no JSON (the control that shows the test can fail).
    garbage += json::parse(post("/completion", base)["content"].get<std::string>(), nullptr, false).is_discarded();
    json req = base;
    req["json_schema"] = schema;
    const std::string text = post("/completion", req)["content"];
    const json v = json::parse(text, nullptr, false);
    EXPECT_TRUE(matches_person(v)) << text;
    // OpenAI's response_format on the chat endpoint.
    const json chat =
        post("/v1/chat/completions",
             {{"messages", {{{"role", "user"}, {"content", "hi"}}}},
              {"max_tokens", 120},
              {"temperature", 1.5},
              {"seed", seed},
              {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "p"}, {"schema", schema}}}}}});
    const std::string ctext = chat["choices"][0]["message"]["content"];
    EXPECT_TRUE(matches_person(json::parse(ctext, nullptr, false))) << ctext;
    EXPECT_EQ(chat["choices"][0]["finish_reason"], "stop");
  }
  EXPECT_EQ(garbage, 3);
  const json any = post("/v1/completions", {{"prompt", "x"},
                                            {"max_tokens", 200},
                                            {"temperature", 1.0},
                                            {"seed", 3},
                                            {"response_format", {{"type", "json_object"}}}});
  const std::string t = any["choices"][0]["text"];
  if (any["choices"][0]["finish_reason"] == "stop") {
    EXPECT_TRUE(json::parse(t, nullptr, false).is_object()) << t;
  }
}

}  // namespace
}  // namespace lowbit::test

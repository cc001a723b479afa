// `lowbit serve` over HTTP, as a child process on the tiny random model:
// the endpoints, greedy output against `lowbit generate` (an independent
// code path: Session instead of the batching scheduler), batched requests
// against single ones, errors, authentication, disconnects and SIGTERM.
#include <gtest/gtest.h>

#include <httplib.h>

#include <future>

#include <nlohmann/json.hpp>

#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;

std::string completion_body(const std::string& prompt, int max_tokens, bool stream = false) {
  return json{{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", stream}}.dump();
}

// The text of a server-sent event stream of completion chunks.
std::string sse_text(const std::string& body, bool chat, bool* saw_done = nullptr, std::string* finish = nullptr) {
  std::string text;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") {
      if (saw_done) *saw_done = true;
      continue;
    }
    const json j = json::parse(data);
    if (j["choices"].empty()) continue;
    const json& c = j["choices"][0];
    if (!c["finish_reason"].is_null() && finish) *finish = c["finish_reason"];
    if (chat) {
      if (c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
    } else {
      text += c["text"].get<std::string>();
    }
  }
  return text;
}

// What the server's JSON encoding makes of raw model text (invalid UTF-8
// becomes U+FFFD).
std::string as_json_text(const std::string& raw) {
  return json::parse(json(raw).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

std::string run_generate(const std::string& prompt, int n) {
  const std::string cmd = std::string(LOWBIT_EXE) + " generate -t 2 --temp 0 -m " + tiny_model_path() + " -n " +
                          std::to_string(n) + " -p '" + prompt + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  pclose(p);
  if (!out.empty() && out.back() == '\n') out.pop_back();  // generate ends with a newline
  return out;
}

class Server : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(tiny_model_path().empty());
    server_ = new ServerProcess({"--parallel", "4", "--queue", "8", "--api-key", "sekrit", "--model-id", "tiny"});
    ASSERT_GT(server_->port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_bearer_token_auth("sekrit");
    c.set_read_timeout(60);
    return c;
  }
  static ServerProcess* server_;
};
ServerProcess* Server::server_ = nullptr;

TEST_F(Server, HealthModelsAndMetrics) {
  auto c = client();
  auto r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  const json models = json::parse(r->body);
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "tiny");
  r = c.Get("/v1/models/other");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("lowbit_queue_length "), std::string::npos);
  EXPECT_NE(r->body.find("lowbit_request_seconds_bucket"), std::string::npos);
}

TEST_F(Server, ApiKeyIsRequired) {
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_api_key");
  c.set_bearer_token_auth("sekrix");
  r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Get("/health");  // health checks need no key
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(Server, GreedyCompletionMatchesGenerateAndCountsTokens) {
  auto c = client();
  auto r = c.Post("/v1/completions", completion_body("Hello world", 12), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["choices"][0]["text"], as_json_text(run_generate("Hello world", 12)));
  // The byte-level tokenizer of the random model: BOS + one token per byte
  // at most; generation stops at max_tokens or an end token.
  EXPECT_GE(j["usage"]["prompt_tokens"].get<int>(), 2);
  EXPECT_LE(j["usage"]["prompt_tokens"].get<int>(), 12);
  const int n = j["usage"]["completion_tokens"];
  EXPECT_EQ(j["usage"]["total_tokens"].get<int>(), n + j["usage"]["prompt_tokens"].get<int>());
  if (j["choices"][0]["finish_reason"] == "length") EXPECT_EQ(n, 12);
  else EXPECT_LT(n, 12);
}

TEST_F(Server, StreamingGivesTheSameTextAsNonStreaming) {
  auto c = client();
  auto plain = c.Post("/v1/completions", completion_body("Once upon", 20), "application/json");
  auto streamed = c.Post("/v1/completions", completion_body("Once upon", 20, true), "application/json");
  ASSERT_TRUE(plain && streamed);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "text/event-stream");
  bool done = false;
  std::string finish;
  EXPECT_EQ(sse_text(streamed->body, false, &done, &finish), json::parse(plain->body)["choices"][0]["text"]);
  EXPECT_TRUE(done);
  EXPECT_EQ(finish, json::parse(plain->body)["choices"][0]["finish_reason"]);
}

TEST_F(Server, ConcurrentRequestsAreBatchedWithoutChangingResults) {
  // Greedy outputs of different prompts run alone, then all at once (they
  // share decode steps); each must be unchanged.
  const std::vector<std::string> prompts = {"a", "bb cc", "the quick brown fox", "0123456789", "zz", "hello"};
  std::vector<std::string> alone;
  for (const auto& p : prompts) {
    auto r = client().Post("/v1/completions", completion_body(p, 24), "application/json");
    ASSERT_TRUE(r);
    alone.push_back(json::parse(r->body)["choices"][0]["text"]);
  }
  std::vector<std::future<std::string>> futures;
  for (const auto& p : prompts)
    futures.push_back(std::async(std::launch::async, [p] {
      auto r = client().Post("/v1/completions", completion_body(p, 24), "application/json");
      return r && r->status == 200 ? json::parse(r->body)["choices"][0]["text"].get<std::string>() : "(failed)";
    }));
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(futures[i].get(), alone[i]) << prompts[i];
}

TEST_F(Server, ChatCompletionAndStopString) {
  auto c = client();
  const json req = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 16},
                    {"temperature", 0}};
  auto r = c.Post("/v1/chat/completions", req.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  const std::string text = j["choices"][0]["message"]["content"];
  // Stop at the third character of the greedy output: the text ends before it.
  if (text.size() >= 4 && (unsigned char)text[2] < 0x80) {
    json with_stop = req;
    with_stop["stop"] = std::string(1, text[2]);
    auto s = c.Post("/v1/chat/completions", with_stop.dump(), "application/json");
    ASSERT_TRUE(s);
    const json js = json::parse(s->body);
    EXPECT_EQ(js["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(js["choices"][0]["message"]["content"], text.substr(0, text.find(text[2])));
  }
}

TEST_F(Server, ErrorsAreOpenAIShaped) {
  auto c = client();
  struct Case {
    const char* path;
    std::string body;
    int status;
  };
  const Case cases[] = {
      {"/v1/completions", "{not json", 400},
      {"/v1/completions", R"({"prompt":"x","model":"gpt-4"})", 404},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", 400},
      {"/v1/completions", R"({"prompt":"x","max_tokens":100000000})", 400},
      {"/v1/completions", json{{"prompt", std::string(4000, 'x')}}.dump(), 400},  // longer than the context
      {"/v1/completions", std::string(2 << 20, ' '), 413},                        // over --max-body-bytes
      {"/v1/nothing", "{}", 404},
  };
  for (const Case& k : cases) {
    auto r = c.Post(k.path, k.body, "application/json");
    ASSERT_TRUE(r) << k.path;
    EXPECT_EQ(r->status, k.status) << k.body.substr(0, 80);
    const json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
  }
}

// Prometheus value of a metric line "name value".
double metric(const std::string& text, const std::string& name) {
  const size_t p = text.find("\n" + name + " ");
  return p == std::string::npos ? -1 : std::stod(text.substr(p + name.size() + 2));
}

TEST_F(Server, DisconnectedClientFreesItsSlot) {
  for (bool stream : {true, false}) {
    // A long request, abandoned after 200 ms.
    {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_bearer_token_auth("sekrit");
      c.set_read_timeout(0, 200000);
      c.Post("/v1/completions", completion_body("x", 400, stream), "application/json");
    }
    double busy = -1;
    for (int i = 0; i < 100; ++i) {
      busy = metric(client().Get("/metrics")->body, "lowbit_slots_busy");
      if (busy == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(busy, 0) << (stream ? "streaming" : "non-streaming");
  }
}

TEST(ServerLifecycle, SigtermLetsRunningRequestsFinish) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--parallel", "2"});
  ASSERT_GT(s.port(), 0);
  auto pending = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", s.port());
    c.set_read_timeout(60);
    return c.Post("/v1/completions", completion_body("x", 200), "application/json");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(s.terminate(std::chrono::seconds(30)), 0);
  auto r = pending.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["usage"]["completion_tokens"].get<int>() > 0, true);
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(ServerLifecycle, SigtermAfterTheGracePeriodCancelsRunningRequests) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--parallel", "2", "--queue", "0", "--shutdown-grace", "0"});
  ASSERT_GT(s.port(), 0);
  std::promise<void> first_data;
  std::string body;
  auto pending = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", s.port());
    c.set_read_timeout(60);
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = completion_body("x", 500, /*stream=*/true);
    req.set_header("Content-Type", "application/json");
    bool told = false;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      body.append(data, n);
      if (!told) first_data.set_value(), told = true;
      return true;
    };
    return c.send(req);
  });
  // --queue 0 still admits while a slot is free.
  ASSERT_EQ(first_data.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(s.terminate(std::chrono::seconds(30)), 0);
  auto r = pending.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // The stream ends with an error event instead of a finish_reason, then [DONE].
  EXPECT_NE(body.find("\"error\""), std::string::npos) << body.substr(body.size() > 300 ? body.size() - 300 : 0);
  EXPECT_NE(body.find("data: [DONE]"), std::string::npos);
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(ServerLifecycle, ApiKeyFromTheEnvironment) {
  ASSERT_FALSE(tiny_model_path().empty());
  setenv("LOWBIT_API_KEY", "from-env", 1);
  ServerProcess s({"--parallel", "1"});
  unsetenv("LOWBIT_API_KEY");
  ASSERT_GT(s.port(), 0);
  httplib::Client c("127.0.0.1", s.port());
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  c.set_bearer_token_auth("from-env");
  r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace lowbit::test

// A corpus of hostile request bodies against a running server: malformed
// JSON (every truncation of valid requests, random bytes, invalid UTF-8),
// wrong types in every field, huge numbers, deep nesting. Malformed bodies
// must get 4xx with an OpenAI error body; nothing may get 5xx or take the
// server down.
#include <gtest/gtest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/rng.hpp"
#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;

const std::vector<std::pair<std::string, json>> kValid = {
    {"/v1/completions",
     {{"prompt", "hi"}, {"max_tokens", 2}, {"temperature", 0.5}, {"top_p", 0.9}, {"seed", 3}, {"stop", {"x"}},
      {"stream", false}, {"model", "tiny"}}},
    {"/v1/chat/completions",
     {{"messages", {{{"role", "system"}, {"content", "s"}}, {{"role", "user"}, {"content", "u"}}}},
      {"max_tokens", 2}, {"stream", true}, {"stream_options", {{"include_usage", true}}}, {"n", 1}}},
};

class FuzzBody : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(tiny_model_path().empty());
    server_ = new ServerProcess({"--parallel", "2", "--model-id", "tiny", "--max-body-bytes", "262144"});
    ASSERT_GT(server_->port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // Posts `body`; returns the status (0: no answer) and checks that an
  // error status comes with an OpenAI error body.
  static int post(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30);
    auto r = c.Post(path, body, "application/json");
    if (!r) return 0;
    if (r->status >= 400) {
      const json j = json::parse(r->body, nullptr, false);
      EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"]["message"].is_string())
          << r->status << " " << r->body.substr(0, 200);
    }
    return r->status;
  }
  static ServerProcess* server_;
};
ServerProcess* FuzzBody::server_ = nullptr;

TEST_F(FuzzBody, MalformedBodiesGet4xx) {
  std::vector<std::string> corpus = {
      "", " ", "null", "true", "0", "-1", "1e999", "\"x\"", "[]", "{}", "{\"prompt\":}", "{\"prompt\"", "{'prompt':'x'}",
      "{\"prompt\":\"x\",}", "{\"prompt\":\"\\ud800\"}", "{\"prompt\":\"x\"}garbage", "{\"prompt\":\"\xff\xfe\"}",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"\xc3\x28\"}]}", std::string(100000, '['),
      std::string(100000, '{'), "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}",
      "{\"prompt\":\"x\",\"max_tokens\":1" + std::string(400, '0') + "}",
      "{\"prompt\":\"x\",\"temperature\":-1" + std::string(400, '0') + "}", std::string("\0\0\0{", 4),
  };
  // Every proper prefix of a valid request is invalid JSON.
  Rng rng(11);
  for (const auto& [path, body] : kValid) {
    const std::string text = body.dump();
    for (int i = 0; i < 40; ++i) corpus.push_back(text.substr(0, rng.below(text.size())));
  }
  // Random bytes.
  for (int i = 0; i < 40; ++i) {
    std::string s(rng.below(200) + 1, '\0');
    for (char& ch : s) ch = char(rng.below(256));
    corpus.push_back(s);
  }
  for (const std::string& body : corpus)
    for (const char* path : {"/v1/completions", "/v1/chat/completions"}) {
      const int status = post(path, body);
      EXPECT_TRUE(status >= 400 && status < 500) << status << " for " << json(body).dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 120);
    }
}

TEST_F(FuzzBody, WrongTypesInEveryFieldNever5xx) {
  const std::vector<json> values = {nullptr, true, false, 0, -1, 1.5, -1e308, 1e308, json(18446744073709551615ull),
                                    INT64_MIN, "", "s", json::array(), json::array({1, "a", nullptr}),
                                    json::object(), json{{"k", {{"k", {1, 2}}}}}, std::string(5000, 'x')};
  int n4xx = 0, n200 = 0;
  for (const auto& [path, body] : kValid)
    for (const auto& [key, _] : body.items())
      for (const json& v : values) {
        json b = body;
        b[key] = v;
        const int status = post(path, b.dump());
        EXPECT_TRUE(status == 200 || (status >= 400 && status < 500)) << status << " for " << b.dump().substr(0, 160);
        n4xx += status >= 400;
        n200 += status == 200;
      }
  EXPECT_GT(n4xx, 100);  // most substitutions are wrong types
  EXPECT_GT(n200, 0);    // and null / in-range values are accepted
}

TEST_F(FuzzBody, RandomMutationsNever5xxAndServerStaysUp) {
  Rng rng(5);
  for (int i = 0; i < 300; ++i) {
    const auto& [path, body] = kValid[rng.below(kValid.size())];
    std::string s = body.dump();
    for (int m = int(rng.below(4)) + 1; m > 0; --m) {
      const size_t at = rng.below(s.size());
      switch (rng.below(3)) {
        case 0: s[at] = char(rng.below(256)); break;
        case 1: s.erase(at, 1); break;
        default: s.insert(at, 1, "{}[]\",:0-e.\\"[rng.below(13)]);
      }
    }
    const int status = post(path, s);
    EXPECT_TRUE(status == 200 || (status >= 400 && status < 500)) << status << " for " << s;
  }
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace lowbit::test

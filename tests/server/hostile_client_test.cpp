// `lowbit serve` against clients that break the rules on purpose (issue 14):
// chunked bodies past the limit, header floods, slowloris, bad or
// conflicting Content-Length, half-closed sockets. Raw sockets, since no
// client library sends these requests.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "raw_socket.hpp"
#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kBody = R"({"prompt":"Hello","max_tokens":4,"temperature":0})";

std::string post(const std::string& body, const std::string& extra_headers = {}) {
  return "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_FALSE(tiny_model_path().empty());
    server_ = new ServerProcess({"--parallel", "1", "--queue", "1", "--max-body-bytes", "65536"});
    ASSERT_GT(server_->port(), 0);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }
  static ServerProcess* server_;
};
ServerProcess* Hostile::server_ = nullptr;

// 1. The limit applies to the decoded chunked body as it arrives: 413
//    before the client has even finished sending.
TEST_F(Hostile, ChunkedBodyPastTheLimitGets413BeforeItEnds) {
  RawSocket s(port());
  ASSERT_TRUE(s.ok());
  s.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "2000\r\n" + std::string(0x2000, 'a') + "\r\n";
  for (int i = 0; i < 16; ++i)  // 128 KiB, twice the limit; never the last chunk
    if (!s.send(chunk)) break;
  const std::string r = s.read(seconds(5), "\r\n\r\n");
  EXPECT_EQ(status_of(r), 413) << r.substr(0, 200);
}

TEST_F(Hostile, ChunkedBodyWithinTheLimitIsServed) {
  RawSocket s(port());
  ASSERT_TRUE(s.ok());
  std::string req = "POST /v1/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const size_t half = kBody.size() / 2;
  for (const std::string& part : {kBody.substr(0, half), kBody.substr(half)}) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", part.size());
    req += std::string(hex) + ";ext=1\r\n" + part + "\r\n";
  }
  s.send(req + "0\r\n\r\n");
  const std::string r = s.read(seconds(30), "\"usage\"");
  EXPECT_EQ(status_of(r), 200) << r.substr(0, 300);
}

// 2. Header count and total header size are capped (431).
TEST_F(Hostile, TooManyHeaderLinesGet431) {
  RawSocket s(port());
  std::string h;
  for (int i = 0; i < 1000; ++i) h += "X-Filler-" + std::to_string(i) + ": v\r\n";
  s.send("GET /health HTTP/1.1\r\nHost: t\r\n" + h + "\r\n");
  const std::string r = s.read(seconds(5), "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
}

TEST_F(Hostile, HeaderBlockTooLargeGets431) {
  RawSocket s(port());
  std::string h;
  for (int i = 0; i < 40; ++i) h += "X-Big-" + std::to_string(i) + ": " + std::string(4000, 'b') + "\r\n";
  s.send("GET /health HTTP/1.1\r\nHost: t\r\n" + h + "\r\n");
  const std::string r = s.read(seconds(5), "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
}

// 3. Slowloris: many connections that trickle header bytes must not stop
//    the server from answering others (--parallel 1 --queue 1 here).
TEST_F(Hostile, SlowlorisDoesNotStarveOtherClients) {
  std::vector<std::unique_ptr<RawSocket>> slow;
  for (int i = 0; i < 60; ++i) {
    slow.push_back(std::make_unique<RawSocket>(port()));
    slow.back()->send("GET /health HTTP/1.1\r\n");
  }
  int answered = 0;
  for (int probe = 0; probe < 4; ++probe) {
    for (auto& s : slow) s->send("X");  // one byte each, keeps them alive
    RawSocket p(port());
    p.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    if (status_of(p.read(seconds(3), "\"ok\"")) == 200) ++answered;
    std::this_thread::sleep_for(milliseconds(300));
  }
  EXPECT_EQ(answered, 4);
}

TEST_F(Hostile, InvalidContentLengthIsRefusedAtOnce) {
  for (const char* cl : {"-5", "1e18", "0x10", "+5", " ", "99999999999999999999999"}) {
    RawSocket s(port());
    s.send(std::string("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: ") + cl + "\r\n\r\n");
    const std::string r = s.read(seconds(3), "\r\n\r\n");
    const int st = status_of(r);
    EXPECT_TRUE(st == 400 || st == 413) << "Content-Length: " << cl << " -> " << r.substr(0, 200);
  }
  RawSocket s(port());
  s.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000000000000\r\n\r\n");
  EXPECT_EQ(status_of(s.read(seconds(3), "\r\n\r\n")), 413);
}

// 4. Conflicting framing is the request-smuggling pattern: 400.
TEST_F(Hostile, ConflictingContentLengthsGet400) {
  for (const char* extra : {"Content-Length: 3\r\n", "Content-Length: 3, 7\r\n"}) {
    RawSocket s(port());
    // post() adds the true Content-Length after `extra`.
    s.send(post(kBody, extra));
    const std::string r = s.read(seconds(5), "\r\n\r\n");
    EXPECT_EQ(status_of(r), 400) << extra << r.substr(0, 200);
  }
  RawSocket s(port());
  s.send(post(kBody, "Transfer-Encoding: chunked\r\n"));
  EXPECT_EQ(status_of(s.read(seconds(5), "\r\n\r\n")), 400);
}

// 5. A client that half-closes after its request still reads the answer.
TEST_F(Hostile, HalfClosedClientGetsItsResponse) {
  for (bool stream : {false, true}) {
    RawSocket s(port());
    const std::string body =
        json{{"prompt", "Hello"}, {"max_tokens", 8}, {"temperature", 0}, {"stream", stream}}.dump();
    s.send(post(body, "Connection: close\r\n"));
    s.shutdown_write();
    const std::string r = s.read(seconds(30));
    EXPECT_EQ(status_of(r), 200) << (stream ? "stream: " : "") << r.substr(0, 300);
    EXPECT_NE(r.find(stream ? "data: [DONE]" : "\"usage\""), std::string::npos) << r.substr(0, 300);
  }
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

// 3. A connection that stops sending its headers is closed after
//    --header-timeout, whatever it does byte by byte.
TEST(HostileDeadlines, StalledHeadersAreCutAtTheDeadline) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess server({"--header-timeout", "1", "--body-timeout", "1"});
  ASSERT_GT(server.port(), 0);
  RawSocket headers(server.port());
  headers.send("GET /health HTTP/1.1\r\nHost: t\r\n");
  RawSocket body(server.port());
  body.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6 && !headers.closed(); ++i) {
    headers.send("X");  // a trickle does not extend the deadline
    const std::string r = headers.read(milliseconds(500));
    if (!r.empty()) {
      EXPECT_EQ(status_of(r), 408) << r;
    }
  }
  EXPECT_TRUE(headers.closed());
  body.read(seconds(4));
  EXPECT_TRUE(body.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

// 3. At --max-connections, a new client is served and the connection that
//    has waited longest without a whole request is the one dropped.
TEST(HostileDeadlines, ConnectionBoundDropsTheLongestWaiting) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess server({"--max-connections", "8"});
  ASSERT_GT(server.port(), 0);
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 12; ++i) {
    idle.push_back(std::make_unique<RawSocket>(server.port()));
    idle.back()->send("GET /health HTTP/1.1\r\n");
    std::this_thread::sleep_for(milliseconds(20));  // a clear order of arrival
  }
  RawSocket probe(server.port());
  probe.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(probe.read(seconds(3), "\"ok\"")), 200);
  int dropped_first = 0, dropped_last = 0;
  for (int i = 0; i < 12; ++i) {
    idle[size_t(i)]->read(milliseconds(50));
    (i < 5 ? dropped_first : dropped_last) += idle[size_t(i)]->closed();
  }
  EXPECT_EQ(dropped_first, 5);  // 12 + 1 into 8: the 5 oldest went
  EXPECT_EQ(dropped_last, 0);
}

}  // namespace
}  // namespace lowbit::test
